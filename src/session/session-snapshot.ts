import type { KeyReport, ScopeBudget } from "../core/snapshot.js";
import type { KeyPool } from "../keys/key-pool.js";

/** Each scope's limits and what this process sent through it, for the report. */
export function scopeBudgets(pool: KeyPool): ScopeBudget[] {
  const scopes = new Set(pool.keys.map((key) => key.scope));
  return [...scopes].map((scope) => {
    const limits = scope.limits();
    return {
      scope: scope.name,
      rpm: limits.requests ?? null,
      tpm: limits.tokens ?? null,
      requests: scope.sent.requests,
      tokens: scope.sent.tokens,
    };
  });
}

/** Each key's health, by fingerprint, for the report. */
export function keyReports(pool: KeyPool): Record<string, KeyReport> {
  return Object.fromEntries(
    pool.keys.map(({ fingerprint, provider, scope, health }) => [
      fingerprint,
      {
        provider,
        scope: scope.name,
        state: health.state,
        reason: health.reason ?? null,
        requests: health.requests,
        successes: health.successes,
        success_rate:
          health.requests > 0 ? Math.round((health.successes / health.requests) * 10_000) / 10_000 : null,
        consecutive_failures: health.consecutiveFailures,
        latency_ema_ms: health.latencyEmaMs === undefined ? null : Math.round(health.latencyEmaMs),
      },
    ]),
  );
}
