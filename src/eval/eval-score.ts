import { type ChatMessage, type ItemResult, messageText } from "../core/types.js";
import { scoreTest } from "./assertions/index.js";
import type { AssertionSpec, GradingResult } from "./assertions/types.js";
import type { PlannedRow } from "./eval-plan.js";
import type { AssertionVerdict, EvalRow } from "./eval-row.js";
import { renderPrompt, renderTemplate } from "./render.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Grades one answered row against its test's assertions (promptfoo's semantics): `pass` or `fail`,
 * or `error` when the provider failed after its retries or an assertion could not be evaluated.
 */
export async function scoreRow(
  row: PlannedRow,
  result: ItemResult,
  options: { baseDir: string; env: Env },
): Promise<EvalRow> {
  const base = rowBase(row, result);
  if (result.status === "error" || result.output === null) {
    const error = result.error ?? { type: "server", message: "no answer" };
    return { ...base, status: "error", reason: `${error.type}: ${error.message}`, error };
  }
  const { test } = row;
  const vars = test.vars;
  const grade = await scoreTest(
    { assert: test.assert, ...(test.threshold !== undefined ? { threshold: test.threshold } : {}) },
    {
      output: result.output,
      vars,
      prompt: promptText(row, options.env),
      latencyMs: result.latency_ms,
      costUsd: result.cost_usd,
      render: (template) => renderTemplate(template, vars, { env: options.env }),
      baseDir: options.baseDir,
      test: {
        ...(test.description !== undefined ? { description: test.description } : {}),
        vars,
        ...(test.metadata !== undefined ? { metadata: test.metadata } : {}),
      },
      env: options.env,
    },
  );
  const status = grade.error ? "error" : grade.pass ? "pass" : "fail";
  return {
    ...base,
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
 * a set counts as one verdict.
 */
function verdicts(specs: readonly AssertionSpec[], grade: GradingResult): AssertionVerdict[] {
  const components = grade.componentResults ?? [];
  const plain = specs.filter((spec) => spec.type !== "assert-set");
  const sets = specs.filter((spec) => spec.type === "assert-set");
  const results = new Map<AssertionSpec, GradingResult | undefined>();
  plain.forEach((spec, i) => results.set(spec, components[i]));
  let at = plain.length;
  for (const set of sets) {
    results.set(set, components[at]);
    at += 1 + (set.assert?.length ?? 0);
  }
  return specs.flatMap((spec) => {
    const component = results.get(spec);
    if (!component) return [];
    return [
      {
        type: spec.type,
        pass: component.pass,
        score: component.score,
        reason: component.reason,
        weight: spec.weight ?? 1,
        ...(spec.metric !== undefined ? { metric: spec.metric } : {}),
      },
    ];
  });
}

/** The rendered prompt as text, for assertions that look at it (`javascript`'s `context.prompt`). */
function promptText(row: PlannedRow, env: Env): string {
  const messages: ChatMessage[] = renderPrompt(row.prompt, row.test.vars, { env });
  if (messages.length === 1 && typeof row.prompt.raw === "string")
    return messageText(messages[0]?.content ?? "");
  return JSON.stringify(messages);
}
