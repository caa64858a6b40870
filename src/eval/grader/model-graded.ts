import type { ChatMessage } from "../../core/types.js";
import { type Handler, invariant } from "../assertions/handler.js";
import type { AssertionSpec, GradingResult } from "../assertions/types.js";
import { renderPrompt } from "../render.js";
import {
  DEFAULT_GRADING_PROMPT,
  GEVAL_PROMPT_EVALUATE,
  GEVAL_PROMPT_STEPS,
  OPENAI_CLOSED_QA_PROMPT,
  PROMPTFOO_FACTUALITY_PROMPT,
  SELECT_BEST_PROMPT,
} from "./grader-prompts.js";
import { NO_GRADER, type RowJudge } from "./row-judge.js";
import {
  closedQaVerdict,
  factualityVerdict,
  GEVAL_MAX_SCORE,
  gevalSteps,
  gevalVerdict,
  rubricVerdict,
  type SimilarityMetric,
  selectBestIndex,
  similarityOf,
  similarityVerdict,
  type Verdict,
} from "./verdicts.js";

/**
 * The model-graded assertions, as promptfoo's handlers and matchers run them (src/assertions/
 * llmRubric.ts, factuality.ts, modelGradedClosedQa.ts, geval.ts, similar.ts, and select-best):
 * the grader prompt (promptfoo's default or the `rubricPrompt`) rendered with the row's vars, sent
 * through the row's judge, the reply read into a verdict. A judge that fails, or a reply that cannot
 * be read, is an assertion that could not be evaluated (an `error` row).
 */

function judgeOf(ctx: { judge?: RowJudge | undefined }): RowJudge {
  invariant(ctx.judge, NO_GRADER);
  return ctx.judge;
}

function graded(spec: AssertionSpec, verdict: Verdict): GradingResult {
  return {
    pass: verdict.pass,
    score: verdict.score,
    reason: verdict.reason,
    assertion: spec,
    ...(verdict.malformed ? { error: true } : {}),
  };
}

/** promptfoo's `tryParse`: a JSON output as its value (rendered back as compact JSON), else the text. */
function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A grader prompt rendered as promptfoo's `renderLlmRubricPrompt` does: every string of a JSON chat
 * (or the whole text) through Nunjucks, with object values given as JSON; the result as messages.
 */
export function judgeMessages(prompt: unknown, vars: Record<string, unknown>): ChatMessage[] {
  const text = typeof prompt === "string" ? prompt : JSON.stringify(prompt);
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) {
    if (value && typeof value === "object") {
      context[key] = Array.isArray(value)
        ? value.map((item: unknown) => (item && typeof item === "object" ? JSON.stringify(item) : item))
        : JSON.stringify(value);
    } else {
      context[key] = value;
    }
  }
  return renderPrompt(text, context);
}

export const llmRubric: Handler = async ({ spec, value, output, ctx }) => {
  invariant(
    typeof value === "string" || value === undefined,
    '"llm-rubric" assertion type must have a string value',
  );
  const judge = judgeOf(ctx);
  const vars = { output: tryParse(output), rubric: value ?? "", ...ctx.vars };
  const reply = await judge.complete(
    spec,
    judgeMessages(judge.rubricPrompt(spec) ?? DEFAULT_GRADING_PROMPT, vars),
  );
  return graded(spec, rubricVerdict(reply, spec.threshold));
};

export const factuality: Handler = async ({ spec, value, output, ctx }) => {
  invariant(typeof value === "string", "factuality assertion type must have a string value");
  const judge = judgeOf(ctx);
  const prompt = ctx.prompt;
  invariant(prompt, "factuality assertion type must have a prompt");
  const vars = { input: prompt, ideal: value, completion: tryParse(output), ...ctx.vars };
  const reply = await judge.complete(
    spec,
    judgeMessages(judge.rubricPrompt(spec) ?? PROMPTFOO_FACTUALITY_PROMPT, vars),
  );
  return graded(spec, factualityVerdict(reply));
};

export const closedQa: Handler = async ({ spec, value, output, ctx }) => {
  invariant(typeof value === "string", "model-graded-closedqa assertion type must have a string value");
  const judge = judgeOf(ctx);
  const prompt = ctx.prompt;
  invariant(prompt, "model-graded-closedqa assertion type must have a prompt");
  const vars = { input: prompt, criteria: value, completion: tryParse(output), ...ctx.vars };
  const reply = await judge.complete(
    spec,
    judgeMessages(judge.rubricPrompt(spec) ?? OPENAI_CLOSED_QA_PROMPT, vars),
  );
  return graded(spec, closedQaVerdict(reply));
};

/** g-eval's threshold when the assertion gives none. */
const GEVAL_THRESHOLD = 0.7;

export const gEval: Handler = async ({ spec, value, output, ctx }) => {
  invariant(
    typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string")),
    "G-Eval assertion type must have a string or array of strings value",
  );
  const judge = judgeOf(ctx);
  const threshold = spec.threshold ?? GEVAL_THRESHOLD;
  const custom = judge.rubricPrompt(spec);
  const parts =
    custom && typeof custom === "object" && !Array.isArray(custom) ? (custom as Record<string, unknown>) : {};
  const one = async (criteria: string): Promise<Verdict> => {
    const steps = gevalSteps(
      await judge.complete(spec, judgeMessages(parts.steps ?? GEVAL_PROMPT_STEPS, { criteria })),
    );
    if (!Array.isArray(steps)) return steps;
    const vars = {
      criteria,
      steps: steps.join("\n- "),
      maxScore: String(GEVAL_MAX_SCORE),
      input: tryParse(ctx.prompt),
      output: tryParse(output),
    };
    return gevalVerdict(
      await judge.complete(spec, judgeMessages(parts.evaluate ?? GEVAL_PROMPT_EVALUATE, vars)),
      threshold,
    );
  };
  if (typeof value === "string") return graded(spec, await one(value));
  const verdicts: Verdict[] = [];
  for (const criteria of value as string[]) verdicts.push(await one(criteria));
  const bad = verdicts.find((v) => v.malformed);
  if (bad) return graded(spec, bad);
  const mean = verdicts.reduce((sum, v) => sum + v.score, 0) / verdicts.length;
  return graded(spec, {
    pass: mean >= threshold,
    score: mean,
    reason: verdicts
      .filter((v) => v.score < threshold)
      .map((v) => v.reason)
      .join("\n"),
  });
};

export const selectBest: Handler = async ({ spec, value, ctx }) => {
  invariant(typeof value === "string", "select-best assertion type must have a string value");
  const judge = judgeOf(ctx);
  const group = judge.selectBest;
  invariant(
    group && group.outputs.length >= 2,
    "select-best assertion must have at least two outputs to compare between",
  );
  const vars = { criteria: value, outputs: group.outputs.map(tryParse), ...ctx.vars };
  const reply = await judge.complete(
    spec,
    judgeMessages(judge.rubricPrompt(spec) ?? SELECT_BEST_PROMPT, vars),
  );
  const chosen = selectBestIndex(reply, group.outputs.length);
  if (typeof chosen !== "number") return graded(spec, chosen);
  return chosen === group.index
    ? { pass: true, score: 1, reason: `Output selected as the best: ${value}`, assertion: spec }
    : { pass: false, score: 0, reason: `Output not selected: ${value}`, assertion: spec };
};

/** `similar`'s threshold when the assertion gives none. */
const SIMILAR_THRESHOLD = 0.75;

const METRICS: Record<string, SimilarityMetric> = {
  similar: "cosine",
  "similar:cosine": "cosine",
  "similar:dot": "dot_product",
  "similar:euclidean": "euclidean",
};

export const similar: Handler = async ({ spec, baseType, inverse, value, output, ctx }) => {
  invariant(
    typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string")),
    "Similarity assertion type must have a string or array of strings value",
  );
  const judge = judgeOf(ctx);
  const metric = METRICS[baseType] ?? "cosine";
  const threshold = spec.threshold ?? SIMILAR_THRESHOLD;
  const outputVector = await judge.embed(spec, output);
  const one = async (expected: string) =>
    similarityVerdict(
      similarityOf(await judge.embed(spec, expected), outputVector, metric),
      threshold,
      inverse,
      metric,
    );
  if (typeof value === "string") return graded(spec, await one(value));
  let min = Number.POSITIVE_INFINITY;
  for (const expected of value as string[]) {
    const verdict = await one(expected);
    if (verdict.pass) return graded(spec, verdict);
    min = Math.min(min, verdict.score);
  }
  return {
    pass: false,
    score: min,
    reason: "None of the provided values met the similarity threshold",
    assertion: spec,
  };
};

/** The model-graded types metasync runs, by their promptfoo names. */
export const MODEL_GRADED_HANDLERS: Readonly<Record<string, Handler>> = {
  "llm-rubric": llmRubric,
  factuality,
  "model-graded-factuality": factuality,
  "model-graded-closedqa": closedQa,
  "g-eval": gEval,
  "select-best": selectBest,
  similar,
  "similar:cosine": similar,
  "similar:dot": similar,
  "similar:euclidean": similar,
};

/** Which model-graded types may be negated with `not-`: only `similar` (promptfoo's handlers ignore it elsewhere). */
export const NEGATABLE_MODEL_GRADED: ReadonlySet<string> = new Set([
  "similar",
  "similar:cosine",
  "similar:dot",
  "similar:euclidean",
]);

/** How many judge calls an assertion of this type makes for one row (the dry run's count). */
export function judgeCallsPerRow(baseType: string, value: unknown): number {
  if (baseType === "g-eval") return 2 * (Array.isArray(value) ? value.length : 1);
  if (baseType.startsWith("similar")) return 1 + (Array.isArray(value) ? value.length : 1);
  return 1;
}
