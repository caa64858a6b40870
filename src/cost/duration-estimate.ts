import type { ScopeLimits } from "../core/limiter.js";

/** How long a run should take under its budgets: a pure function of its totals (DESIGN §6). */

/** A time per request assumed when none is given: a short chat completion. */
export const ASSUMED_LATENCY_MS = 2_000;

export interface DurationAssumptions {
  /**
   * Each independent limit scope the requests are spread over (a key, or keys sharing a scope), with
   * its per-minute limits as the key pool plans them: `requests` and `tokens` bound the estimate; a
   * limit that is missing is not known and does not.
   */
  scopes: readonly ScopeLimits[];
  /** Requests in flight at once. */
  concurrency: number;
  /** Time one request takes. */
  latencyMs: number;
}

export type DurationBound = "concurrency" | "rpm" | "tpm";

export interface DurationEstimate {
  /** The expected wall time: the slowest of the bounds below. */
  seconds: number;
  /** Which limit sets the pace. */
  bound: DurationBound;
  /** Seconds each limit alone would need; null when that limit is unknown for some scope. */
  bySeconds: Record<DurationBound, number | null>;
  /** The budgets summed over scopes; null when some scope's limit is unknown. */
  rpm: number | null;
  tpm: number | null;
}

/**
 * The expected duration of `requests` requests charging `meteredTokens` tokens (prompt plus
 * `max_tokens`, as OpenAI meters them): the largest of requests ÷ Σ RPM, tokens ÷ Σ TPM and
 * requests × latency ÷ concurrency. It assumes the key pool spreads work over every scope and
 * ignores the bursts providers allow and retries.
 */
export function estimateDuration(
  totals: { requests: number; meteredTokens: number },
  assumptions: DurationAssumptions,
): DurationEstimate {
  const { scopes } = assumptions;
  const rpm = sumOf(scopes.map((s) => s.requests));
  const tpm = sumOf(scopes.map((s) => s.tokens));
  const concurrency = Math.max(1, assumptions.concurrency);
  const bySeconds: Record<DurationBound, number | null> = {
    concurrency: (totals.requests * Math.max(0, assumptions.latencyMs)) / concurrency / 1000,
    rpm: rpm === null ? null : (totals.requests / rpm) * 60,
    tpm: tpm === null ? null : (totals.meteredTokens / tpm) * 60,
  };
  let bound: DurationBound = "concurrency";
  for (const candidate of ["rpm", "tpm"] as const) {
    if ((bySeconds[candidate] ?? -1) > (bySeconds[bound] ?? 0)) bound = candidate;
  }
  return { seconds: bySeconds[bound] ?? 0, bound, bySeconds, rpm, tpm };
}

/** The sum of positive limits; undefined if there are none or any is unknown. */
function sumOf(limits: readonly (number | undefined)[]): number | null {
  if (limits.length === 0 || limits.some((limit) => limit === undefined || !(limit > 0))) return null;
  return limits.reduce<number>((sum, limit) => sum + (limit ?? 0), 0);
}
