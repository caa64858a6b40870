import { formatModelRef, type ModelRef } from "../../core/types.js";
import { splitType } from "../assertions/catalog.js";
import type { AssertionSpec } from "../assertions/types.js";
import type { EvalTest } from "../config/types.js";
import { graderModel, graderParams, type JudgePurpose } from "./grader-model.js";
import { judgeCallsPerRow, MODEL_GRADED_HANDLERS } from "./model-graded.js";
import { judgeProviderOf, NO_GRADER } from "./row-judge.js";

/** A test's model-graded assertions (inside assert-sets too), each with what its judge call is for. */
export function judgedAssertions(
  test: Pick<EvalTest, "assert">,
): { spec: AssertionSpec; baseType: string; purpose: JudgePurpose }[] {
  const found: { spec: AssertionSpec; baseType: string; purpose: JudgePurpose }[] = [];
  const visit = (specs: readonly AssertionSpec[]) => {
    for (const spec of specs) {
      if (spec?.type === "assert-set") {
        visit(spec.assert ?? []);
        continue;
      }
      const { baseType } = splitType(String(spec?.type));
      if (MODEL_GRADED_HANDLERS[baseType]) {
        found.push({ spec, baseType, purpose: baseType.startsWith("similar") ? "embedding" : "text" });
      }
    }
  };
  visit(test.assert);
  return found;
}

/**
 * The grader models an eval's tests ask, gathered as the tests are read (one entry per distinct
 * grader given, however many tests), then resolved against the default grader (`--grader`) before
 * anything is sent: the session opens with keys for them, and an assertion without a grader, or
 * with one metasync cannot call, is a config problem naming the test.
 */
export class JudgeModels {
  private readonly given = new Map<string, { provider: unknown; purpose: JudgePurpose; test: EvalTest }>();
  /** Whether any test has a model-graded assertion. */
  used = false;

  add(test: EvalTest): void {
    for (const { spec, purpose } of judgedAssertions(test)) {
      this.used = true;
      const provider = spec.provider ?? test.options?.provider;
      const key = JSON.stringify([provider ?? null, purpose]);
      if (!this.given.has(key)) this.given.set(key, { provider, purpose, test });
    }
  }

  /** The models to open the session for, or the problems (one per distinct grader). */
  resolve(defaultGrader: string | undefined): { models: ModelRef[]; problems: string[] } {
    const models = new Map<string, ModelRef>();
    const problems: string[] = [];
    for (const { provider, purpose, test } of this.given.values()) {
      const where = `test ${test.index}${test.description ? ` ("${test.description}")` : ""}`;
      const chosen = judgeProviderOf({ type: "", provider }, {}, defaultGrader);
      if (chosen === undefined) {
        problems.push(`${where}: ${NO_GRADER}`);
        continue;
      }
      const model = graderModel(chosen, purpose);
      const params = graderParams(chosen);
      if (!model.ok) problems.push(`${where}: ${model.problem}`);
      else if (!params.ok) problems.push(`${where}: ${params.problem}`);
      else models.set(formatModelRef(model.ref), model.ref);
    }
    return { models: [...models.values()], problems };
  }
}

/**
 * How many judge calls a test's rows make at most (the dry run's count): each model-graded
 * assertion's calls for every row, except `select-best`, one call for each repeat of the test.
 */
export function judgeCallsOf(test: Pick<EvalTest, "assert">, rowsPerRepeat: number, repeat: number): number {
  let calls = 0;
  for (const { spec, baseType } of judgedAssertions(test)) {
    calls +=
      baseType === "select-best" ? repeat : judgeCallsPerRow(baseType, spec.value) * rowsPerRepeat * repeat;
  }
  return calls;
}
