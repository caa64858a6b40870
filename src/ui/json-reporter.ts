import { type EngineEvent, isEngineEvent, type ReporterEvent } from "../core/events.js";
import type { TextReporterOptions } from "./plain-reporter.js";
import { progressMetrics } from "./progress-metrics.js";
import { initialProgressState, type ProgressState, reduceProgress } from "./progress-state.js";
import { everyInterval, type ProgressReporter, progressReporter } from "./reporter.js";

export const JSON_INTERVAL_MS = 1_000;

/**
 * `--progress json`: one JSON object per line, each with a `type` — `run`, `start`, `progress` (at
 * most once a second, when something changed), `retry`, `item_failed`, `rate_limited`, `key_state`,
 * `key_disabled`, `scope_limits`, `stopping`, `notice`, `end`, and a command's own events as they
 * are (`CommandEvent`) — and the `time` it happened.
 */
export function createJsonReporter(options: TextReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const every = options.every ?? everyInterval;
  let state = initialProgressState;
  let changed = false;
  let stopTimer: (() => void) | undefined;

  const emit = (at: number, object: Record<string, unknown>) => {
    options.write(`${JSON.stringify({ type: object.type, time: new Date(at).toISOString(), ...object })}\n`);
  };
  const tick = () => {
    if (!changed || state.phase === "ended") return;
    changed = false;
    const at = now();
    emit(at, progressObject(state, at));
  };
  const sink = (event: ReporterEvent) => {
    const at = now();
    state = reduceProgress(state, event, at);
    // A command's own event is printed as it is; the engine's are translated below.
    if (!isEngineEvent(event)) {
      emit(at, { ...event });
      return;
    }
    changed = true;
    const object = eventObject(event, state, at);
    if (event.type === "start") stopTimer ??= every(options.intervalMs ?? JSON_INTERVAL_MS, tick);
    if (event.type === "end") stopTimer?.();
    if (object) emit(at, object);
  };
  return progressReporter(sink, {
    notice: (text) => emit(now(), { type: "notice", message: text.trim().replace(/^metasync: /, "") }),
    close: async () => {
      stopTimer?.();
    },
  });
}

function eventObject(
  event: EngineEvent,
  state: ProgressState,
  at: number,
): Record<string, unknown> | undefined {
  switch (event.type) {
    case "run":
      return {
        type: "run",
        run_id: event.runId,
        state: event.state,
        cached: event.cached,
        retried: event.retried,
      };
    case "start":
      return {
        type: "start",
        total: event.total,
        pending: event.pending,
        previously_done: event.total - event.pending,
        concurrency: event.concurrency,
      };
    case "retry":
      return {
        type: "retry",
        id: event.id,
        attempt: event.attempt,
        error: event.error,
        delay_ms: event.delayMs,
      };
    case "item_done":
      if (event.result.status === "ok") return undefined;
      return {
        type: "item_failed",
        id: event.id,
        attempts: event.result.attempts,
        error: event.result.error,
      };
    case "rate_limited":
      return { type: "rate_limited", key: event.key, scope: event.scope, retry_after_ms: event.retryAfterMs };
    case "key_disabled":
      return { type: "key_disabled", key: event.key, provider: event.provider, reason: event.reason };
    case "key_state":
      return {
        type: "key_state",
        key: event.key,
        provider: event.provider,
        scope: event.scope,
        state: event.state,
        ...(event.until !== undefined ? { until: new Date(event.until).toISOString() } : {}),
        ...(event.reason !== undefined ? { reason: event.reason } : {}),
      };
    case "scope_limits":
      return { type: "scope_limits", scope: event.scope, rpm: event.rpm, tpm: event.tpm };
    case "stopping":
      return { type: "stopping", reason: event.reason, message: event.message };
    case "warning":
      return { type: "warning", message: event.message };
    case "notice":
      return { type: "notice", message: event.message };
    case "end": {
      const { type: _, ...progress } = progressObject(state, at);
      return { type: "end", reason: event.reason, wall_ms: event.wallMs, ...progress };
    }
    case "item_start":
      return undefined;
  }
}

function progressObject(state: ProgressState, at: number): Record<string, unknown> & { type: string } {
  const m = progressMetrics(state, at);
  const round = (n: number | null) => (n === null ? null : Math.round(n));
  return {
    type: "progress",
    total: state.total,
    done: m.done,
    ok: state.ok,
    failed: state.failed,
    pending: m.remaining,
    in_flight: state.inFlight,
    previously_done: state.previouslyDone,
    requests: state.requests,
    usage: { input_tokens: state.inputTokens, output_tokens: state.outputTokens },
    requests_per_min: round(m.requestsPerMin),
    tokens_per_min: round(m.tokensPerMin),
    cost_usd: state.pricedItems > 0 ? m.costUsd : state.unpricedItems > 0 ? null : 0,
    cost_complete: m.costComplete,
    projected_cost_usd: m.projectedUsd,
    latency_ms: { p50: round(m.p50Ms), p95: round(m.p95Ms) },
    eta_s: m.etaMs === null ? null : Math.round(m.etaMs / 1000),
  };
}
