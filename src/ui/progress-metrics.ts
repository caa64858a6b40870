import type { KeyState } from "../core/events.js";
import { percentiles } from "../core/format/percentile.js";
import {
  type KeyView,
  type ProgressState,
  type ScopeView,
  type SecondBucket,
  THROUGHPUT_WINDOW_MS,
} from "./progress-state.js";

/** What a reporter shows at `now`, derived from the state. */
export interface ProgressMetrics {
  /** Items done, including those done before this process started. */
  done: number;
  /** Items not done yet (queued or in flight). */
  remaining: number;
  /** Items waiting to be sent. */
  queued: number;
  fraction: number;
  elapsedMs: number;
  /** Over the last minute (or since the start, if that is shorter). */
  itemsPerMin: number;
  requestsPerMin: number;
  tokensPerMin: number;
  etaMs: number | null;
  /** Known cost so far; `costComplete` is false when some items had no price. */
  costUsd: number;
  costComplete: boolean;
  /** What the items of this process will cost at the rate so far; null until one is priced. */
  projectedUsd: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export function progressMetrics(state: ProgressState, now: number): ProgressMetrics {
  const doneHere = state.ok + state.failed;
  const done = state.previouslyDone + doneHere;
  const remaining = Math.max(0, state.total - done);
  const elapsedMs = state.end?.wallMs ?? (state.startedAt === null ? 0 : Math.max(0, now - state.startedAt));
  const rates = windowRates(state.throughput, now, elapsedMs);
  const [p50Ms, p95Ms] = percentiles(state.latency.values, [0.5, 0.95]);
  const perItemUsd = state.pricedItems > 0 ? state.costUsd / state.pricedItems : null;
  return {
    done,
    remaining,
    queued: Math.max(0, remaining - state.inFlight),
    fraction: state.total > 0 ? done / state.total : state.phase === "ended" ? 1 : 0,
    elapsedMs,
    ...rates,
    etaMs:
      state.phase === "waiting"
        ? null
        : remaining === 0
          ? 0
          : rates.itemsPerMin > 0 && state.phase !== "ended"
            ? (remaining / rates.itemsPerMin) * 60_000
            : null,
    costUsd: state.costUsd,
    costComplete: state.unpricedItems === 0,
    projectedUsd: perItemUsd === null ? null : state.costUsd + perItemUsd * remaining,
    p50Ms: p50Ms ?? null,
    p95Ms: p95Ms ?? null,
  };
}

/** Requests and tokens a minute through one scope, over the last minute of the run. */
export function scopeRates(state: ProgressState, scope: ScopeView, now: number) {
  const elapsedMs = state.end?.wallMs ?? (state.startedAt === null ? 0 : Math.max(0, now - state.startedAt));
  return windowRates(scope.throughput, now, elapsedMs);
}

function windowRates(throughput: readonly SecondBucket[], now: number, elapsedMs: number) {
  const from = Math.floor((now - THROUGHPUT_WINDOW_MS) / 1000);
  let items = 0;
  let requests = 0;
  let tokens = 0;
  for (const bucket of throughput) {
    if (bucket.second <= from) continue;
    items += bucket.items;
    requests += bucket.requests;
    tokens += bucket.tokens;
  }
  const spanMs = Math.min(THROUGHPUT_WINDOW_MS, Math.max(1_000, elapsedMs));
  const perMin = (n: number) => (n * 60_000) / spanMs;
  return { itemsPerMin: perMin(items), requestsPerMin: perMin(requests), tokensPerMin: perMin(tokens) };
}

/** A key's state at `now`: a cooling key whose time is up reads as active again. */
export function keyStatus(key: KeyView, now: number): { state: KeyState; untilMs: number | null } {
  if (key.state === "cooling" && key.until !== null && key.until <= now)
    return { state: "active", untilMs: null };
  return {
    state: key.state,
    untilMs: key.state === "cooling" && key.until !== null ? key.until - now : null,
  };
}

/** The sum of the scopes' limits, or null when no scope has one. */
export function totalBudget(state: ProgressState): { rpm: number | null; tpm: number | null } {
  let rpm: number | null = null;
  let tpm: number | null = null;
  for (const scope of Object.values(state.scopes)) {
    if (scope.rpm !== null) rpm = (rpm ?? 0) + scope.rpm;
    if (scope.tpm !== null) tpm = (tpm ?? 0) + scope.tpm;
  }
  return { rpm, tpm };
}
