/**
 * The assertion library of `metasync eval`: promptfoo's deterministic assertions with promptfoo's
 * names, defaults, scores and reasons. The eval command checks each assertion before anything is
 * sent (`checkAssertion`) and grades each row's output (`scoreTest`, or `runAssertion` for one).
 */
export { MODEL_GRADED_TYPES, NOT_YET_TYPES, SUPPORTED_ASSERTION_TYPES } from "./catalog.js";
export { type CheckOptions, checkAssertion } from "./check.js";
export { runAssertion, scoreTest } from "./run.js";
export type { AssertionContext, AssertionSpec, GradingResult, TestGrade } from "./types.js";
