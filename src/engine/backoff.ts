import type { ProviderError } from "../core/errors.js";

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/**
 * How long to wait before attempt `attempt + 1`: what the provider asked for (`retry-after-ms`,
 * `retry-after`), else exponential backoff with jitter (half fixed, half random).
 */
export function retryDelayMs(
  attempt: number,
  error: ProviderError,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) {
    return Math.min(error.retryAfterMs, 10 * 60_000);
  }
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
