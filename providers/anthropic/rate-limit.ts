import type { RateLimitSnapshot } from "../../src/core/provider.js";
import { count, type HeaderReader, readRateLimitHeaders } from "../rate-limit-headers.js";

/** Anthropic's resets are RFC 3339 times; the snapshot holds how long until then. */
export const untilTime: HeaderReader = (value, now) => {
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

const PREFIX = "anthropic-ratelimit-";

export function anthropicRateLimit(
  headers: Headers,
  now: number = Date.now(),
): RateLimitSnapshot | undefined {
  return readRateLimitHeaders(
    headers,
    {
      limitRequests: [`${PREFIX}requests-limit`, count],
      remainingRequests: [`${PREFIX}requests-remaining`, count],
      resetRequestsMs: [`${PREFIX}requests-reset`, untilTime],
      limitTokens: [`${PREFIX}tokens-limit`, count],
      remainingTokens: [`${PREFIX}tokens-remaining`, count],
      resetTokensMs: [`${PREFIX}tokens-reset`, untilTime],
      limitInputTokens: [`${PREFIX}input-tokens-limit`, count],
      remainingInputTokens: [`${PREFIX}input-tokens-remaining`, count],
      resetInputTokensMs: [`${PREFIX}input-tokens-reset`, untilTime],
      limitOutputTokens: [`${PREFIX}output-tokens-limit`, count],
      remainingOutputTokens: [`${PREFIX}output-tokens-remaining`, count],
      resetOutputTokensMs: [`${PREFIX}output-tokens-reset`, untilTime],
    },
    now,
  );
}
