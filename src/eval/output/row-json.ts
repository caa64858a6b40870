import type { EvalRow } from "../eval-row.js";

/**
 * A row as the contract's JSON object (design/eval.md): its fields and no others, in the contract's
 * order, whatever order the row was built in.
 */
export function evalRowJson(row: EvalRow): string {
  const ordered: EvalRow = {
    test: row.test,
    description: row.description,
    prompt: row.prompt,
    provider: row.provider,
    repeat: row.repeat,
    vars: row.vars,
    output: row.output,
    status: row.status,
    pass: row.pass,
    score: row.score,
    reason: row.reason,
    named_scores: row.named_scores,
    assertions: row.assertions.map((a) => ({
      type: a.type,
      pass: a.pass,
      score: a.score,
      reason: a.reason,
      weight: a.weight,
      ...(a.metric === undefined ? {} : { metric: a.metric }),
    })),
    error:
      row.error === null
        ? null
        : {
            type: row.error.type,
            message: row.error.message,
            ...(row.error.status === undefined ? {} : { status: row.error.status }),
          },
    latency_ms: row.latency_ms,
    usage:
      row.usage === null
        ? null
        : {
            input_tokens: row.usage.input_tokens,
            output_tokens: row.usage.output_tokens,
            ...(row.usage.cached_tokens === undefined ? {} : { cached_tokens: row.usage.cached_tokens }),
          },
    cost_usd: row.cost_usd,
    grading_cost_usd: row.grading_cost_usd,
    cached: row.cached,
  };
  return JSON.stringify(ordered);
}
