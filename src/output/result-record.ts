import type { Item, ItemResult } from "../core/types.js";

/** A JSONL result line (DESIGN §4). */
export function resultLine(result: ItemResult): string {
  return `${JSON.stringify({
    id: result.id,
    status: result.status,
    output: result.output,
    ...(result.output_json !== undefined ? { output_json: result.output_json } : {}),
    model: result.model,
    ...(result.rule !== undefined ? { rule: result.rule } : {}),
    usage: result.usage,
    cost_usd: result.cost_usd,
    latency_ms: result.latency_ms,
    attempts: result.attempts,
    ...(result.rate_limited_retries ? { rate_limited_retries: result.rate_limited_retries } : {}),
    finish_reason: result.finish_reason,
    error: result.error,
    ...(result.request_id ? { request_id: result.request_id } : {}),
    ...(result.cached ? { cached: true } : {}),
  })}\n`;
}

/** The line for an item that has no result yet (the run stopped before it). */
export function pendingLine(item: Pick<Item, "id">): string {
  return `${JSON.stringify({ id: item.id, status: "pending", output: null, error: null })}\n`;
}

export const RESULT_COLUMNS = [
  "output",
  "status",
  "error",
  "model",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "latency_ms",
  "attempts",
] as const;

/** The result columns' values for a CSV row; an item without a result is `pending`. */
export function resultCells(result: ItemResult | undefined): string[] {
  if (!result) return ["", "pending", "", "", "", "", "", "", ""];
  return [
    result.output ?? "",
    result.status,
    result.error ? `${result.error.type}: ${result.error.message}` : "",
    result.model,
    result.usage ? String(result.usage.input_tokens) : "",
    result.usage ? String(result.usage.output_tokens) : "",
    result.cost_usd === null ? "" : String(result.cost_usd),
    String(result.latency_ms),
    String(result.attempts),
  ];
}
