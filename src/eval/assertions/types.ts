import type { RowJudge } from "../grader/row-judge.js";

/**
 * The assertion library's types: an assertion as a promptfoo config writes it, what the eval
 * command knows about one output, and a grade in promptfoo's `GradingResult` shape.
 */

/** One assertion (or `assert-set`) as written in a promptfoo config, after YAML parsing. */
export interface AssertionSpec {
  type: string;
  value?: unknown;
  threshold?: number;
  weight?: number;
  metric?: string;
  provider?: unknown;
  rubricPrompt?: unknown;
  /** The members of an `assert-set`. */
  assert?: AssertionSpec[];
  /** Passed to `javascript` assertions as `context.config`. */
  config?: Record<string, unknown>;
}

/** What an assertion may look at: one output of one row, and the test it belongs to. */
export interface AssertionContext {
  /** The model's text. */
  output: string;
  vars: Record<string, unknown>;
  /** The rendered prompt text. */
  prompt: string;
  latencyMs?: number | undefined;
  /** The call's cost in USD; `null` when its price is unknown. */
  costUsd?: number | null | undefined;
  /** Renders an assertion value (or a metric name) with the test's vars, as promptfoo does (Nunjucks). */
  render: (template: string) => string;
  /** Where `file://` paths are resolved: the config's directory. */
  baseDir: string;
  test?: { description?: string; vars: Record<string, unknown>; metadata?: Record<string, unknown> };
  /** Environment read for `PROMPTFOO_DISABLE_AJV_STRICT_MODE`; the library never reads `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The judge of model-graded assertions (`llm-rubric`, `similar`, …); without it they cannot be evaluated. */
  judge?: RowJudge | undefined;
}

/** A grade, in promptfoo's shape. */
export interface GradingResult {
  pass: boolean;
  score: number;
  reason: string;
  assertion?: AssertionSpec | undefined;
  namedScores?: Record<string, number>;
  /** The weight behind each named score (promptfoo's `namedScoreWeights`), for merging nested sets. */
  namedScoreWeights?: Record<string, number>;
  componentResults?: GradingResult[];
  /**
   * The assertion could not be evaluated (a script that throws or cannot be loaded, a bad
   * schema, a value of the wrong kind): the row is an `error`, not a `fail`.
   */
  error?: boolean;
}

/** A test's grade: its named scores are always present. */
export type TestGrade = GradingResult & { namedScores: Record<string, number> };
