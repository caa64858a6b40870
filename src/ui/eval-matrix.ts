import type { ReporterEvent } from "../core/events.js";

/** One prompt × provider cell of an eval as the dashboard fills it in: rows graded so far. */
export interface EvalMatrixCell {
  prompt: string;
  provider: string;
  pass: number;
  fail: number;
  error: number;
}

/** The cells in the order their first row was graded. */
export type EvalMatrix = readonly EvalMatrixCell[];

/**
 * eval's `eval_score` event (a command event: `{type, prompt, provider, status}`), one per graded
 * row, added to the matrix; any other event leaves it as it is. Pure.
 */
export function reduceEvalMatrix(matrix: EvalMatrix, event: ReporterEvent): EvalMatrix {
  if (event.type !== "eval_score") return matrix;
  const { prompt, provider, status } = event as { prompt?: unknown; provider?: unknown; status?: unknown };
  if (typeof prompt !== "string" || typeof provider !== "string") return matrix;
  if (status !== "pass" && status !== "fail" && status !== "error") return matrix;
  const at = matrix.findIndex((cell) => cell.prompt === prompt && cell.provider === provider);
  const cell = at >= 0 ? (matrix[at] as EvalMatrixCell) : { prompt, provider, pass: 0, fail: 0, error: 0 };
  const next = { ...cell, [status]: cell[status] + 1 };
  return at >= 0 ? matrix.map((c, i) => (i === at ? next : c)) : [...matrix, next];
}
