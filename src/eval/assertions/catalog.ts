import { MODEL_GRADED_HANDLERS } from "../grader/model-graded.js";
import type { Handler } from "./handler.js";
import { bleu } from "./handlers/bleu.js";
import {
  contains,
  containsAll,
  containsAny,
  icontains,
  icontainsAll,
  icontainsAny,
} from "./handlers/contains.js";
import { equals } from "./handlers/equals.js";
import { javascript } from "./handlers/javascript.js";
import { containsJson, isJson } from "./handlers/json.js";
import { cost, latency } from "./handlers/latency-cost.js";
import { levenshtein } from "./handlers/levenshtein.js";
import { regex, startsWith } from "./handlers/regex.js";
import { rougeN } from "./handlers/rouge.js";
import { wordCount } from "./handlers/word-count.js";
import { xml } from "./handlers/xml.js";

/** The assertion types metasync evaluates, each with promptfoo's semantics; `not-` negates any. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  equals,
  contains,
  icontains,
  "contains-any": containsAny,
  "contains-all": containsAll,
  "icontains-any": icontainsAny,
  "icontains-all": icontainsAll,
  "starts-with": startsWith,
  regex,
  "is-json": isJson,
  "contains-json": containsJson,
  "is-xml": xml,
  "contains-xml": xml,
  "word-count": wordCount,
  levenshtein,
  "rouge-n": rougeN,
  bleu,
  latency,
  cost,
  javascript,
  ...MODEL_GRADED_HANDLERS,
};

export const SUPPORTED_ASSERTION_TYPES: readonly string[] = [...Object.keys(HANDLERS), "assert-set"];

/** promptfoo's assertions that ask a model (or an embedding or moderation model); those in `HANDLERS` are run. */
export const MODEL_GRADED_TYPES: ReadonlySet<string> = new Set([
  "llm-rubric",
  "factuality",
  "model-graded-factuality",
  "model-graded-closedqa",
  "g-eval",
  "select-best",
  "max-score",
  "similar",
  "similar:cosine",
  "similar:dot",
  "similar:euclidean",
  "answer-relevance",
  "context-faithfulness",
  "context-recall",
  "context-relevance",
  "conversation-relevance",
  "classifier",
  "moderation",
  "pi",
  "agent-rubric",
  "search-rubric",
  "research-rubric",
  "citation-faithfulness",
  "noise-sensitivity",
  "trajectory:goal-success",
]);

/** promptfoo's other assertion types, which metasync refuses until it has them. */
export const NOT_YET_TYPES: ReadonlySet<string> = new Set([
  "python",
  "ruby",
  "webhook",
  "gleu",
  "meteor",
  "perplexity",
  "perplexity-score",
  "is-html",
  "contains-html",
  "is-sql",
  "contains-sql",
  "is-refusal",
  "finish-reason",
  "is-valid-function-call",
  "is-valid-openai-function-call",
  "is-valid-openai-tools-call",
  "tool-call-f1",
  "skill-used",
  "guardrails",
  "trace-span-count",
  "trace-span-duration",
  "trace-error-spans",
  "trajectory:tool-used",
  "trajectory:tool-args-match",
  "trajectory:tool-sequence",
  "trajectory:step-count",
]);

/** `not-equals` → `{ baseType: "equals", inverse: true }` (promptfoo `getAssertionBaseType`). */
export function splitType(type: string): { baseType: string; inverse: boolean } {
  return type.startsWith("not-")
    ? { baseType: type.slice(4), inverse: true }
    : { baseType: type, inverse: false };
}
