import type { RateLimitSnapshot } from "../../src/core/provider.js";
import { count, type HeaderReader, readRateLimitHeaders } from "../rate-limit-headers.js";

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
export const duration: HeaderReader = (value) => {
  const text = value.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? 0);
    consumed = pattern.lastIndex;
  }
  return text !== "" && consumed === text.length ? total : undefined;
};

export function openaiRateLimit(headers: Headers): RateLimitSnapshot | undefined {
  return readRateLimitHeaders(headers, {
    limitRequests: ["x-ratelimit-limit-requests", count],
    limitTokens: ["x-ratelimit-limit-tokens", count],
    remainingRequests: ["x-ratelimit-remaining-requests", count],
    remainingTokens: ["x-ratelimit-remaining-tokens", count],
    resetRequestsMs: ["x-ratelimit-reset-requests", duration],
    resetTokensMs: ["x-ratelimit-reset-tokens", duration],
  });
}
