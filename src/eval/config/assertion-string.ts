import { parseCommaSeparatedValues } from "../assertions/handlers/csv-values.js";
import type { AssertionSpec } from "./types.js";

/**
 * promptfoo's assertion types (`BaseAssertionTypesSchema`, src/types/index.ts; `rouge-l` and
 * `rouge-s` from its CSV tests), the names an `__expected` cell may start with.
 */
export const PROMPTFOO_ASSERTION_TYPES = [
  "answer-relevance",
  "bleu",
  "classifier",
  "contains",
  "contains-all",
  "contains-any",
  "contains-html",
  "contains-json",
  "contains-sql",
  "contains-xml",
  "context-faithfulness",
  "context-recall",
  "context-relevance",
  "conversation-relevance",
  "cost",
  "equals",
  "factuality",
  "finish-reason",
  "g-eval",
  "gleu",
  "guardrails",
  "icontains",
  "icontains-all",
  "icontains-any",
  "is-html",
  "is-json",
  "is-refusal",
  "is-sql",
  "is-valid-function-call",
  "is-valid-openai-function-call",
  "is-valid-openai-tools-call",
  "is-xml",
  "javascript",
  "latency",
  "levenshtein",
  "llm-rubric",
  "pi",
  "meteor",
  "model-graded-closedqa",
  "model-graded-factuality",
  "moderation",
  "perplexity",
  "perplexity-score",
  "python",
  "regex",
  "rouge-l",
  "rouge-n",
  "rouge-s",
  "ruby",
  "similar",
  "similar:cosine",
  "similar:dot",
  "similar:euclidean",
  "starts-with",
  "tool-call-f1",
  "skill-used",
  "trajectory:goal-success",
  "trajectory:tool-args-match",
  "trajectory:step-count",
  "trajectory:tool-sequence",
  "trajectory:tool-used",
  "trace-error-spans",
  "trace-span-count",
  "trace-span-duration",
  "search-rubric",
  "webhook",
  "word-count",
] as const;

/**
 * Longest names first, so `similar:cosine:x` is `similar:cosine` with the value `x`, while
 * `similar:cosine text` (no `:` or `(` after the name) falls back to `similar`.
 */
const ASSERTION_PATTERN = new RegExp(
  `^(not-)?(${[...PROMPTFOO_ASSERTION_TYPES]
    .sort((a, b) => b.length - a.length)
    .join("|")})(?:\\((\\d+(?:\\.\\d+)?)\\))?(?::([\\s\\S]*))?$`,
);

/** Values parsed as a comma list (quotes keep commas; empty items dropped). */
const LIST_TYPES = new Set(["contains-all", "contains-any", "icontains-all", "icontains-any"]);
/** Values kept as written, untrimmed. */
const RAW_TYPES = new Set(["contains-json", "is-json"]);
/** Types that get a default threshold when the cell gives none: 0.75 (0.8 for `similar`). */
const DEFAULT_THRESHOLD_TYPES = new Set([
  "answer-relevance",
  "classifier",
  "context-faithfulness",
  "context-recall",
  "context-relevance",
  "cost",
  "latency",
  "levenshtein",
  "perplexity-score",
  "perplexity",
  "rouge-l",
  "rouge-n",
  "rouge-s",
  "similar",
  "starts-with",
]);

const JAVASCRIPT_FILE = /\.(js|cjs|mjs|ts|cts|mts)$/;

/**
 * A CSV `__expected` cell as an assertion, as promptfoo's `assertionFromString` (src/csv.ts, and
 * its tests in test/csv.test.ts) reads it: `javascript:`, `fn:`, `eval:` or a `file://….js` is
 * javascript, `grade:` and `llm-rubric:` are llm-rubric, `python:` or a `file://….py[:function]` is
 * python, `[not-]type[(threshold)][:value]` for a known type, and anything else is `equals` with the
 * whole text. A malformed quoted list (`contains-any:"a`) throws.
 */
export function assertionFromString(expected: string): AssertionSpec {
  const javascript = ["javascript:", "fn:", "eval:"].find((prefix) => expected.startsWith(prefix));
  if (javascript) return { type: "javascript", value: expected.slice(javascript.length).trim() };
  // The file stays a file:// value, which the javascript assertion reads (promptfoo cut the prefix).
  if (expected.startsWith("file://") && JAVASCRIPT_FILE.test(expected.slice("file://".length))) {
    return { type: "javascript", value: expected };
  }
  if (expected.startsWith("grade:")) return { type: "llm-rubric", value: expected.slice("grade:".length) };
  if (expected.startsWith("llm-rubric:")) {
    return { type: "llm-rubric", value: expected.slice("llm-rubric:".length) };
  }
  if (expected.startsWith("python:"))
    return { type: "python", value: expected.slice("python:".length).trim() };
  if (isPythonFile(expected)) return { type: "python", value: expected };
  const match = ASSERTION_PATTERN.exec(expected);
  if (!match) return { type: "equals", value: expected };
  const [, not, base = "", thresholdText, value] = match;
  const spec: AssertionSpec = { type: not ? `not-${base}` : base };
  if (LIST_TYPES.has(base)) {
    if (value !== undefined) spec.value = value === "" ? value : parseCommaSeparatedValues(value);
    return spec;
  }
  if (RAW_TYPES.has(base)) {
    if (value !== undefined) spec.value = value;
    return spec;
  }
  if (value !== undefined) spec.value = value.trim();
  const threshold = thresholdText === undefined ? undefined : Number.parseFloat(thresholdText);
  if (threshold !== undefined && Number.isFinite(threshold)) spec.threshold = threshold;
  else if (DEFAULT_THRESHOLD_TYPES.has(base)) spec.threshold = base === "similar" ? 0.8 : 0.75;
  return spec;
}

/**
 * `file://path.py` or `file://path.py:function`, the extension in any case; not when the path has a
 * query (`?`) or a fragment (`#` with no `/` after it), or the function name is empty or has a `:`.
 */
function isPythonFile(expected: string): boolean {
  if (!expected.startsWith("file://")) return false;
  const path = expected.slice("file://".length);
  if (path.includes("?")) return false;
  const colon = path.lastIndexOf(":");
  const tail = colon < 0 ? "" : path.slice(colon + 1);
  const named = colon > 1 && !/[\\/]/.test(tail);
  const file = named ? path.slice(0, colon) : path;
  if (named && (tail === "" || (file.includes(":") && !/^[A-Za-z]:[\\/]/.test(file)))) return false;
  return /\.py$/i.test(file) && !/#[^/\\]*$/.test(file);
}
