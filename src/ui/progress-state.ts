import { type EndReason, isEngineEvent, type KeyState, type ReporterEvent } from "../core/events.js";
import type { ItemResult } from "../core/types.js";
import { type EvalMatrix, reduceEvalMatrix } from "./eval-matrix.js";
import { addLatency, emptyLatencyReservoir, type LatencyReservoir } from "./latency-reservoir.js";
import { type OptimizeProgress, reduceOptimize } from "./optimize-progress.js";

/** Requests, tokens and items finished within one second of wall time. */
export interface SecondBucket {
  /** `floor(epoch ms / 1000)` */
  second: number;
  items: number;
  requests: number;
  tokens: number;
}

export interface ScopeView {
  rpm: number | null;
  tpm: number | null;
  /** What went through this scope over the last minute, for its gauges. */
  throughput: readonly SecondBucket[];
  /** Epoch ms until which the provider asked this scope to wait (429). */
  coolingUntil: number | null;
  rateLimited: number;
}

export interface KeyView {
  provider: string;
  scope: string;
  state: KeyState;
  until: number | null;
  reason: string | null;
  rateLimited: number;
}

export interface RecentError {
  at: number;
  id: string;
  type: string;
  message: string;
  /** The attempt that failed. */
  attempt: number;
  /** `retry`: the item is tried again; `failed`: the item's final result is this error. */
  outcome: "retry" | "failed";
}

/** How many attempts failed with one type of error: retried, and items whose final result it was. */
export interface ErrorTally {
  retried: number;
  failed: number;
}

export type Phase = "waiting" | "running" | "stopping" | "ended";

/** Everything the reporters show, built from the engine's events alone. */
export interface ProgressState {
  phase: Phase;
  run: { id: string; state: "new" | "resumed" | "finished"; cached: number; retried: number } | null;
  startedAt: number | null;
  concurrency: number;
  total: number;
  previouslyDone: number;
  ok: number;
  failed: number;
  inFlight: number;
  retries: number;
  /** Requests sent, tokens used and cost of the items finished by this process. */
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  pricedItems: number;
  /** Items that used tokens but whose cost is unknown (no price for their model). */
  unpricedItems: number;
  throughput: readonly SecondBucket[];
  latency: LatencyReservoir;
  scopes: Readonly<Record<string, ScopeView>>;
  keys: Readonly<Record<string, KeyView>>;
  errors: readonly RecentError[];
  /** Every failed attempt, by error type (`connection`, `server`…), in the order the types appeared. */
  errorTypes: Readonly<Record<string, ErrorTally>>;
  stopMessage: string | null;
  end: { reason: EndReason; wallMs: number } | null;
  /** eval: the prompt × provider pass rates of the rows graded so far (`eval_score` events). */
  evalMatrix: EvalMatrix;
  /** optimize: the search so far (`optimize_*` events); null for other commands. */
  optimize: OptimizeProgress | null;
}

export const THROUGHPUT_WINDOW_MS = 60_000;
export const RECENT_ERRORS = 5;

export const initialProgressState: ProgressState = {
  phase: "waiting",
  run: null,
  startedAt: null,
  concurrency: 0,
  total: 0,
  previouslyDone: 0,
  ok: 0,
  failed: 0,
  inFlight: 0,
  retries: 0,
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  pricedItems: 0,
  unpricedItems: 0,
  throughput: [],
  latency: emptyLatencyReservoir,
  scopes: {},
  keys: {},
  errors: [],
  errorTypes: {},
  stopMessage: null,
  end: null,
  evalMatrix: [],
  optimize: null,
};

/**
 * The state after `event`, which happened at `now` (epoch ms). Pure: `state` is not changed. Of a
 * command's own events only eval's `eval_score` (the eval matrix) and optimize's `optimize_*` (the
 * search) change something here.
 */
export function reduceProgress(state: ProgressState, event: ReporterEvent, now: number): ProgressState {
  if (!isEngineEvent(event)) {
    const evalMatrix = reduceEvalMatrix(state.evalMatrix, event);
    const optimize = reduceOptimize(state.optimize, event);
    return evalMatrix === state.evalMatrix && optimize === state.optimize
      ? state
      : { ...state, evalMatrix, optimize };
  }
  switch (event.type) {
    case "run":
      return {
        ...state,
        run: { id: event.runId, state: event.state, cached: event.cached, retried: event.retried },
      };
    case "start":
      return {
        ...state,
        phase: state.phase === "waiting" ? "running" : state.phase,
        startedAt: now,
        total: event.total,
        previouslyDone: event.total - event.pending,
        concurrency: event.concurrency,
      };
    case "attempt_failed":
      return state;
    case "item_start": {
      if (event.attempt !== 1) return state;
      const next = { ...state };
      next.inFlight++;
      return next;
    }
    case "retry":
      return {
        ...state,
        retries: state.retries + 1,
        errorTypes: tally(state.errorTypes, event.error.type, "retried"),
        errors: pushError(state.errors, {
          at: now,
          id: event.id,
          type: event.error.type,
          message: event.error.message,
          attempt: event.attempt,
          outcome: "retry",
        }),
      };
    case "item_done":
      return itemDone(state, event.result, now, event.scope);
    case "stopping":
      return { ...state, phase: "stopping", stopMessage: event.message };
    case "warning":
    case "notice":
      return state;
    case "scope_limits": {
      const scope = state.scopes[event.scope] ?? emptyScope;
      return {
        ...state,
        scopes: { ...state.scopes, [event.scope]: { ...scope, rpm: event.rpm, tpm: event.tpm } },
      };
    }
    case "key_state": {
      const previous = state.keys[event.key];
      const key: KeyView = {
        provider: event.provider,
        scope: event.scope,
        state: event.state,
        until: event.until ?? null,
        reason: event.reason ?? null,
        rateLimited: previous?.rateLimited ?? 0,
      };
      return { ...state, keys: { ...state.keys, [event.key]: key } };
    }
    case "rate_limited": {
      const until = now + event.retryAfterMs;
      const scope = state.scopes[event.scope] ?? emptyScope;
      const previous = state.keys[event.key];
      const key: KeyView = {
        provider: previous?.provider ?? "",
        scope: event.scope,
        state: previous?.state === "disabled" ? "disabled" : "cooling",
        until: previous?.state === "disabled" ? previous.until : until,
        reason: previous?.reason ?? null,
        rateLimited: (previous?.rateLimited ?? 0) + 1,
      };
      return {
        ...state,
        scopes: {
          ...state.scopes,
          [event.scope]: {
            ...scope,
            coolingUntil: Math.max(scope.coolingUntil ?? 0, until),
            rateLimited: scope.rateLimited + 1,
          },
        },
        keys: { ...state.keys, [event.key]: key },
      };
    }
    case "key_disabled": {
      const previous = state.keys[event.key];
      const key: KeyView = {
        provider: event.provider,
        scope: previous?.scope ?? "",
        state: "disabled",
        until: null,
        reason: event.reason,
        rateLimited: previous?.rateLimited ?? 0,
      };
      return { ...state, keys: { ...state.keys, [event.key]: key } };
    }
    case "end":
      return {
        ...state,
        phase: "ended",
        total: event.counts.total,
        previouslyDone: event.counts.previouslyDone,
        ok: event.counts.ok,
        failed: event.counts.failed,
        inFlight: event.counts.inFlight,
        end: { reason: event.reason, wallMs: event.wallMs },
      };
  }
}

const emptyScope: ScopeView = { rpm: null, tpm: null, throughput: [], coolingUntil: null, rateLimited: 0 };

function itemDone(state: ProgressState, result: ItemResult, now: number, scopeName?: string): ProgressState {
  const sent = result.cached !== true;
  const usage = sent ? result.usage : null;
  const tokens = usage ? usage.input_tokens + usage.output_tokens : 0;
  // Every request sent: the attempts, and the 429s waited out (which cost no attempt).
  const requests = sent ? result.attempts + (result.rate_limited_retries ?? 0) : 0;
  // Copy, then set: several times faster than a spread with overrides, and this runs per item.
  const next = { ...state };
  if (result.status === "ok") next.ok++;
  else next.failed++;
  next.inFlight = Math.max(0, state.inFlight - 1);
  next.requests += requests;
  next.inputTokens += usage?.input_tokens ?? 0;
  next.outputTokens += usage?.output_tokens ?? 0;
  if (result.cost_usd !== null) {
    next.costUsd += result.cost_usd;
    next.pricedItems++;
  } else if (tokens > 0) {
    next.unpricedItems++;
  }
  next.throughput = addToWindow(state.throughput, now, requests, tokens);
  if (scopeName !== undefined && sent) {
    const scope = state.scopes[scopeName] ?? emptyScope;
    next.scopes = {
      ...state.scopes,
      [scopeName]: { ...scope, throughput: addToWindow(scope.throughput, now, requests, tokens) },
    };
  }
  if (sent) next.latency = addLatency(state.latency, result.latency_ms);
  if (result.status !== "ok" && result.error) {
    next.errorTypes = tally(state.errorTypes, result.error.type, "failed");
    next.errors = pushError(state.errors, {
      at: now,
      id: result.id,
      type: result.error.type,
      message: result.error.message,
      attempt: result.attempts,
      outcome: "failed",
    });
  }
  return next;
}

function addToWindow(
  buckets: readonly SecondBucket[],
  now: number,
  requests: number,
  tokens: number,
): readonly SecondBucket[] {
  const second = Math.floor(now / 1000);
  const last = buckets[buckets.length - 1];
  if (last && last.second === second) {
    const updated = {
      second,
      items: last.items + 1,
      requests: last.requests + requests,
      tokens: last.tokens + tokens,
    };
    const copy = buckets.slice();
    copy[copy.length - 1] = updated;
    return copy;
  }
  const oldest = second - THROUGHPUT_WINDOW_MS / 1000;
  const kept = buckets.filter((bucket) => bucket.second > oldest);
  kept.push({ second, items: 1, requests, tokens });
  return kept;
}

function tally(
  types: Readonly<Record<string, ErrorTally>>,
  type: string,
  outcome: keyof ErrorTally,
): Readonly<Record<string, ErrorTally>> {
  const previous = types[type] ?? { retried: 0, failed: 0 };
  return { ...types, [type]: { ...previous, [outcome]: previous[outcome] + 1 } };
}

function pushError(errors: readonly RecentError[], error: RecentError): readonly RecentError[] {
  return [...errors.slice(-(RECENT_ERRORS - 1)), error];
}
