import { extractJsonObjects } from "../assertions/handlers/json-extract.js";

/**
 * Reading a judge's reply into a verdict, as promptfoo's matchers do (src/matchers/rubric.ts,
 * llmGrading.ts, comparison.ts, similarity.ts; reasons worded as promptfoo words them). A reply that
 * cannot be read is `malformed`: the assertion could not be evaluated (an `error` row, never a pass).
 */
export interface Verdict {
  pass: boolean;
  score: number;
  reason: string;
  /** The reply could not be read as the prompt asked. */
  malformed?: boolean;
}

function malformed(reason: string): Verdict {
  return { pass: false, score: 0, reason, malformed: true };
}

/**
 * llm-rubric (promptfoo `runJsonGradingPrompt`): the first JSON object of the reply; `pass` defaults
 * to true and a non-boolean is read as yes/no; `score` defaults to the pass as 0/1; with a threshold
 * the assertion passes only when the score reaches it.
 */
export function rubricVerdict(reply: string, threshold: number | undefined, label = "llm-rubric"): Verdict {
  let objects: object[];
  try {
    objects = extractJsonObjects(reply);
  } catch (error) {
    return malformed(`${label} produced malformed response: ${String(error)}\n\n${reply}`);
  }
  const parsed = objects[0];
  if (parsed === undefined) return malformed(`Could not extract JSON from ${label} response`);
  if (Array.isArray(parsed)) {
    return malformed(
      `${label} produced malformed response. We were not able to parse the response as JSON. Output: ${JSON.stringify(reply)}`,
    );
  }
  const fields = parsed as { pass?: unknown; score?: unknown; reason?: unknown };
  let pass = fields.pass ?? true;
  if (typeof pass !== "boolean") pass = /^(true|yes|pass|y)$/i.test(String(pass));
  let score = fields.score;
  if (typeof score !== "number") score = Number.isFinite(Number(score)) ? Number(score) : Number(pass);
  const value = score as number;
  if (threshold !== undefined && Number.isFinite(threshold)) pass = pass && value >= threshold;
  const reason =
    typeof fields.reason === "string" && fields.reason !== ""
      ? fields.reason
      : pass
        ? "Grading passed"
        : `Score ${value} below threshold ${threshold}`;
  return { pass: pass as boolean, score: value, reason };
}

const FACTUALITY_CATEGORIES: Record<string, string> = {
  A: "The submitted answer is a subset of the expert answer and is fully consistent with it.",
  B: "The submitted answer is a superset of the expert answer and is fully consistent with it.",
  C: "The submitted answer contains all the same details as the expert answer.",
  D: "There is a disagreement between the submitted answer and the expert answer.",
  E: "The answers differ, but these differences don't matter from the perspective of factuality.",
};

/** promptfoo's default scores of the categories: only a disagreement (D) fails. */
const FACTUALITY_SCORES: Record<string, number> = { A: 1, B: 1, C: 1, D: 0, E: 1 };

/**
 * factuality: `{"category": "A".."E", "reason"}` as the first JSON object (a category that is no
 * letter A–E is malformed), else the legacy form `(A) reason…`.
 */
export function factualityVerdict(reply: string): Verdict {
  let option: string | undefined;
  let reason: string | undefined;
  let objects: object[] = [];
  try {
    objects = extractJsonObjects(reply);
  } catch {
    objects = [];
  }
  const json = objects[0] as { category?: unknown; reason?: unknown } | undefined;
  if (json && typeof json.category === "string" && json.category !== "") {
    option = json.category.trim().toUpperCase();
    if (!/^[A-E]$/.test(option)) return malformed(`Invalid category value: ${option}`);
    reason =
      (typeof json.reason === "string" ? json.reason.trim() : "") ||
      `Category ${option}: ${FACTUALITY_CATEGORIES[option]}`;
  } else {
    const answer = /\s*\(?([a-eA-E])\)/.exec(reply);
    if (!answer?.[1]) {
      return malformed(`Factuality checker output did not match expected format: ${reply}`);
    }
    option = answer[1].toUpperCase();
    reason = /\)\s*(.*)/s.exec(reply)?.[1]?.trim() || reply;
  }
  const score = FACTUALITY_SCORES[option] ?? 0;
  return { pass: score > 0, score, reason };
}

/** model-graded-closedqa: the reply's last character Y passes; N fails; anything else is malformed. */
export function closedQaVerdict(reply: string): Verdict {
  const end = reply.trimEnd();
  if (end.endsWith("Y"))
    return { pass: true, score: 1, reason: `The submission meets the criterion:\n${reply}` };
  if (end.endsWith("N")) {
    return { pass: false, score: 0, reason: `The submission does not meet the criterion:\n${reply}` };
  }
  return malformed(`Model grader produced a malformed response:\n${reply}`);
}

/** g-eval's first reply: `{"steps": [...]}` on one line; the steps, or why there are none. */
export function gevalSteps(reply: string): string[] | Verdict {
  const match = /\{"steps".+\}/.exec(reply);
  if (!match) return malformed(`LLM-proposed evaluation steps are not in JSON format: ${reply}`);
  try {
    const steps = (JSON.parse(match[0]) as { steps?: unknown }).steps;
    if (!Array.isArray(steps) || steps.length === 0)
      return malformed("LLM does not propose any evaluation step");
    return steps.map(String);
  } catch (error) {
    return malformed(
      `LLM-proposed evaluation steps are not in JSON format: ${(error as Error).message}\n\n${reply}`,
    );
  }
}

/** g-eval's highest score. */
export const GEVAL_MAX_SCORE = 10;

/** g-eval's second reply: `{score: 0–10, reason}`; the score is divided by 10, passing at the threshold. */
export function gevalVerdict(reply: string, threshold: number): Verdict {
  const match = /\{.+\}/.exec(reply);
  if (!match) return malformed(`LLM-proposed evaluation result is not in JSON format: ${reply}`);
  let result: { score?: unknown; reason?: unknown };
  try {
    result = JSON.parse(match[0]) as typeof result;
  } catch (error) {
    return malformed(
      `LLM-proposed evaluation result is not in JSON format: ${(error as Error).message}\n\n${reply}`,
    );
  }
  const raw = typeof result.score === "number" ? result.score : Number(result.score);
  if (!Number.isFinite(raw)) {
    return malformed(`G-Eval result has invalid or missing score: ${JSON.stringify(result.score)}`);
  }
  const score = raw / GEVAL_MAX_SCORE;
  return { pass: score >= threshold, score, reason: typeof result.reason === "string" ? result.reason : "" };
}

/** select-best: the first integer of the reply, an index into the outputs compared; else malformed. */
export function selectBestIndex(reply: string, outputs: number): number | Verdict {
  const match = /\d+/.exec(reply.trim());
  const verdict = match ? Number.parseInt(match[0], 10) : Number.NaN;
  if (Number.isNaN(verdict) || verdict < 0 || verdict >= outputs) {
    return malformed(`Invalid select-best verdict: ${verdict}`);
  }
  return verdict;
}

/** How `similar` compares two embeddings: `similar` and `similar:cosine`, `similar:dot`, `similar:euclidean`. */
export type SimilarityMetric = "cosine" | "dot_product" | "euclidean";

export function similarityOf(a: readonly number[], b: readonly number[], metric: SimilarityMetric): number {
  if (a.length !== b.length) throw new Error("Vectors must be of equal length");
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    aa += x * x;
    bb += y * y;
    squared += (x - y) * (x - y);
  }
  if (metric === "dot_product") return dot;
  if (metric === "euclidean") return Math.sqrt(squared);
  const norms = Math.sqrt(aa) * Math.sqrt(bb);
  return norms === 0 ? 0 : dot / norms;
}

/**
 * A similarity (or, for euclidean, a distance) against the threshold, as promptfoo's
 * `buildSimilarityResult`: a similarity passes at or above it, a distance at or below it; `inverse`
 * (`not-similar`) turns both around.
 */
export function similarityVerdict(
  similarity: number,
  threshold: number,
  inverse: boolean,
  metric: SimilarityMetric,
): Verdict {
  if (metric === "euclidean") {
    const distance = similarity;
    const pass = inverse ? distance >= threshold - Number.EPSILON : distance <= threshold + Number.EPSILON;
    const normalized = 1 / (1 + distance);
    const below = `Distance ${distance.toFixed(2)} is less than or equal to threshold ${threshold}`;
    const above = `Distance ${distance.toFixed(2)} is greater than threshold ${threshold}`;
    return {
      pass,
      score: inverse ? 1 - normalized : normalized,
      reason: pass ? (inverse ? above : below) : inverse ? below : above,
    };
  }
  const pass = inverse ? similarity <= threshold + Number.EPSILON : similarity >= threshold - Number.EPSILON;
  const greater = `Similarity ${similarity.toFixed(2)} is greater than or equal to threshold ${threshold}`;
  const less = `Similarity ${similarity.toFixed(2)} is less than threshold ${threshold}`;
  return {
    pass,
    score: inverse ? 1 - similarity : similarity,
    reason: pass ? (inverse ? less : greater) : inverse ? greater : less,
  };
}
