import type { EngineEvent } from "../../src/core/events.js";
import type { ItemResult } from "../../src/core/types.js";
import { initialProgressState, type ProgressState, reduceProgress } from "../../src/ui/progress-state.js";

/** A finished item's result; ok with 10 + 20 tokens and a 100 ms latency unless told otherwise. */
export function result(id: string, overrides: Partial<ItemResult> = {}): ItemResult {
  return {
    id,
    status: "ok",
    output: `answer ${id}`,
    model: "mock:echo",
    usage: { input_tokens: 10, output_tokens: 20 },
    cost_usd: 0.01,
    latency_ms: 100,
    attempts: 1,
    finish_reason: "stop",
    error: null,
    ...overrides,
  };
}

export function failure(id: string, type: string, message: string, attempts = 1): ItemResult {
  return result(id, {
    status: "error",
    output: null,
    usage: null,
    cost_usd: null,
    attempts,
    finish_reason: null,
    error: { type, message },
  });
}

export const runEvent = (state: "new" | "resumed" | "finished" = "new"): EngineEvent => ({
  type: "run",
  runId: "run-1",
  state,
  cached: 0,
  retried: 0,
});

export const start = (total: number, pending = total, concurrency = 4): EngineEvent => ({
  type: "start",
  total,
  pending,
  concurrency,
});

export const itemStart = (id: string, attempt = 1): EngineEvent => ({
  type: "item_start",
  id,
  index: 0,
  attempt,
  model: "mock:echo",
});

export const itemDone = (item: ItemResult, scope?: string): EngineEvent => ({
  type: "item_done",
  id: item.id,
  index: 0,
  result: item,
  ...(scope ? { scope } : {}),
});

/** Folds timed events into a state: `[at, event]` pairs, `at` in epoch ms. */
export function replay(
  events: readonly (readonly [number, EngineEvent])[],
  from = initialProgressState,
): ProgressState {
  return events.reduce((state, [at, event]) => reduceProgress(state, event, at), from);
}

/** 2026-01-05 12:00:00 local time. */
export const T0 = new Date(2026, 0, 5, 12, 0, 0).getTime();
