import type { EngineEvent } from "../../src/core/events.js";
import type { ItemResult } from "../../src/core/types.js";

/** An answered item: 10 + 20 tokens, $0.01, 300 ms, sent with key `k1` unless told otherwise. */
export function answered(id: string, overrides: Partial<ItemResult> = {}): ItemResult {
  return {
    id,
    status: "ok",
    output: `answer ${id}`,
    model: "openai:gpt-4o-mini",
    usage: { input_tokens: 10, output_tokens: 20 },
    cost_usd: 0.01,
    latency_ms: 300,
    attempts: 1,
    finish_reason: "stop",
    error: null,
    key: "k1",
    ...overrides,
  };
}

/** A failed item. */
export function failed(id: string, type: string, overrides: Partial<ItemResult> = {}): ItemResult {
  return answered(id, {
    status: "error",
    output: null,
    usage: null,
    cost_usd: 0,
    finish_reason: null,
    error: { type, message: `${type} happened`, status: 400 },
    ...overrides,
  });
}

export const started = (id: string, attempt = 1, model = "openai:gpt-4o-mini"): EngineEvent => ({
  type: "item_start",
  id,
  index: 0,
  attempt,
  model,
});

export const done = (result: ItemResult, scope = "team-a"): EngineEvent => ({
  type: "item_done",
  id: result.id,
  index: 0,
  result,
  scope,
});

export const retried = (id: string, type = "server"): EngineEvent => ({
  type: "retry",
  id,
  attempt: 1,
  error: { type, message: `${type} error` },
  delayMs: 100,
});

export const ended = (ok: number, failedCount: number, total = ok + failedCount): EngineEvent => ({
  type: "end",
  reason: "completed",
  counts: { total, ok, failed: failedCount, previouslyDone: 0, inFlight: 0 },
  wallMs: 1000,
});
