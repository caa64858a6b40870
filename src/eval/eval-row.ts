import type { ItemError, Usage } from "../core/types.js";

/** One assertion's verdict, as a row lists it. */
export interface AssertionVerdict {
  type: string;
  pass: boolean;
  score: number;
  reason: string;
  weight: number;
  metric?: string;
}

export type RowStatus = "pass" | "fail" | "error";

/**
 * One test × prompt × provider × repeat, scored: the stable contract `-o x.jsonl` writes, one line
 * per row (design/eval.md "Rows, states and statistics"), field for field and in this order.
 */
export interface EvalRow {
  /** 0-based index of the test after `vars` expansion, in config order. */
  test: number;
  description: string | null;
  /** The prompt's label (or id). */
  prompt: string;
  /** The provider's label, or its metasync id. */
  provider: string;
  repeat: number;
  vars: Record<string, unknown>;
  output: string | null;
  status: RowStatus;
  pass: boolean;
  score: number;
  reason: string;
  named_scores: Record<string, number>;
  assertions: AssertionVerdict[];
  error: ItemError | null;
  latency_ms: number | null;
  usage: Usage | null;
  cost_usd: number | null;
  grading_cost_usd: number;
  cached: boolean;
}
