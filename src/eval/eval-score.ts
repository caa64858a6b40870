import { type ChatMessage, type ItemResult, messageText } from "../core/types.js";
import { scoreTest } from "./assertions/index.js";
import type { AssertionContext, AssertionSpec, GradingResult } from "./assertions/types.js";
import type { PlannedRow } from "./eval-plan.js";
import type { AssertionVerdict, EvalRow } from "./eval-row.js";
import type { RowJudge } from "./grader/row-judge.js";
import { renderPrompt, renderTemplate } from "./render.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Grades one answered row against its test's assertions (promptfoo's semantics): `pass` or `fail`,
 * or `error` when the provider failed after its retries or an assertion could not be evaluated.
 */
export interface ScoreOptions {
  baseDir: string;
  env: Env;
  /** The row's judge, for model-graded assertions; its spend becomes the row's `grading_cost_usd`. */
  judge?: RowJudge | undefined;
}

export async function scoreRow(row: PlannedRow, result: ItemResult, options: ScoreOptions): Promise<EvalRow> {
  const base = rowBase(row, result);
  if (result.status === "error" || result.output === null) {
    const error = result.error ?? { type: "server", message: "no answer" };
    return { ...base, status: "error", reason: `${error.type}: ${error.message}`, error };
  }
  const { test } = row;
  const grade = await scoreTest(
    { assert: test.assert, ...(test.threshold !== undefined ? { threshold: test.threshold } : {}) },
    new RowContext(row, result.output, result, options),
  );
  const status = grade.error ? "error" : grade.pass ? "pass" : "fail";
  return {
    ...base,
    grading_cost_usd: options.judge?.spentUsd ?? 0,
    status,
    pass: status === "pass",
    score: grade.score,
    reason: grade.reason,
    named_scores: grade.namedScores,
    assertions: verdicts(test.assert, grade),
    error: status === "error" ? { type: "assertion", message: grade.reason } : null,
  };
}

/** A row that has no answer yet (the eval stopped before it). */
export function pendingRow(row: PlannedRow): EvalRow {
  return {
    ...rowBase(row, undefined),
    status: "error",
    reason: "not run",
    error: { type: "pending", message: "not run" },
  };
}

function rowBase(row: PlannedRow, result: ItemResult | undefined): EvalRow {
  return {
    test: row.test.index,
    description: row.test.description ?? null,
    prompt: row.prompt.label,
    provider: row.provider.label,
    repeat: row.repeat,
    vars: row.test.vars,
    output: result?.output ?? null,
    status: "error",
    pass: false,
    score: 0,
    reason: "",
    named_scores: {},
    assertions: [],
    error: null,
    latency_ms: result ? result.latency_ms : null,
    usage: result?.usage ?? null,
    cost_usd: result ? result.cost_usd : null,
    grading_cost_usd: 0,
    cached: result?.cached === true,
  };
}

/**
 * One verdict per assertion of the test, in its order. `componentResults` lists the plain
 * assertions first, in order, then each `assert-set` followed by its members (promptfoo's order);
 * a set counts as one verdict. (By position: a test may hold one assertion object twice.)
 */
function verdicts(specs: readonly AssertionSpec[], grade: GradingResult): AssertionVerdict[] {
  const components = grade.componentResults ?? [];
  const results: Array<GradingResult | undefined> = [];
  let at = 0;
  specs.forEach((spec, i) => {
    if (spec.type !== "assert-set") results[i] = components[at++];
  });
  specs.forEach((spec, i) => {
    if (spec.type !== "assert-set") return;
    results[i] = components[at];
    at += 1 + (spec.assert?.length ?? 0);
  });
  const out: AssertionVerdict[] = [];
  specs.forEach((spec, i) => {
    const component = results[i];
    if (!component) return;
    out.push({
      type: spec.type,
      pass: component.pass,
      score: component.score,
      reason: component.reason,
      weight: spec.weight ?? 1,
      ...(spec.metric !== undefined ? { metric: spec.metric } : {}),
    });
  });
  return out;
}

/**
 * What the assertions of one answered row may look at. The prompt is rendered only when an
 * assertion reads it (a javascript one's `context.prompt`): most rows never need it.
 */
class RowContext implements AssertionContext {
  readonly vars: Record<string, unknown>;
  readonly latencyMs: number;
  readonly costUsd: number | null;
  readonly baseDir: string;
  readonly test: NonNullable<AssertionContext["test"]>;
  readonly env: Env;
  readonly judge: RowJudge | undefined;
  private rendered: string | undefined;

  constructor(
    private readonly row: PlannedRow,
    readonly output: string,
    result: ItemResult,
    options: ScoreOptions,
  ) {
    this.judge = options.judge;
    const { test } = row;
    this.vars = test.vars;
    this.latencyMs = result.latency_ms;
    this.costUsd = result.cost_usd;
    this.baseDir = options.baseDir;
    this.env = options.env;
    // Keys in promptfoo's order: a script may print or compare `context.test`.
    this.test =
      test.description !== undefined
        ? { description: test.description, vars: test.vars }
        : { vars: test.vars };
    if (test.metadata !== undefined) this.test.metadata = test.metadata;
  }

  get prompt(): string {
    this.rendered ??= promptText(this.row, this.env);
    return this.rendered;
  }

  render(template: string): string {
    return renderTemplate(template, this.vars, { env: this.env });
  }
}

/** The rendered prompt as text, for assertions that look at it (`javascript`'s `context.prompt`). */
function promptText(row: PlannedRow, env: Env): string {
  const messages: ChatMessage[] = renderPrompt(row.prompt, row.test.vars, { env });
  if (messages.length === 1 && typeof row.prompt.raw === "string")
    return messageText(messages[0]?.content ?? "");
  return JSON.stringify(messages);
}
