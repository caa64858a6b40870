import { SlidingWindow } from "./sliding-window.js";

/** What one request spends. */
export interface Charge {
  /** Tokens counted against the token limit at admission: prompt plus `max_tokens` (or the answer). */
  tokens: number;
  inputTokens: number;
  outputTokens: number;
}

export type Dimension = "requests" | "tokens" | "inputTokens" | "outputTokens";

/** One limit as the rate-limit headers report it, per minute. */
export interface LimitReading {
  limit: number;
  remaining: number;
  resetMs: number;
}

export type MeterReading = Partial<Record<Dimension, LimitReading>>;

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number; limit: Dimension };

interface Meter {
  limit: number;
  /** What the headers report: the last minute. */
  minute: SlidingWindow;
  /** What is enforced: the last minute, or (strict) the last second; none for report-only meters. */
  enforced: SlidingWindow | undefined;
}

/** One key's requests and tokens against its limits. */
export class RateMeter {
  private readonly meters = new Map<Dimension, Meter>();

  constructor(limits: { rpm: number | undefined; tpm: number | undefined; strict: boolean }) {
    const add = (dimension: Dimension, limit: number | undefined, enforce: boolean) => {
      if (limit === undefined) return;
      const minute = SlidingWindow.forLimit(limit, false);
      const enforced = enforce ? (limits.strict ? SlidingWindow.forLimit(limit, true) : minute) : undefined;
      this.meters.set(dimension, { limit, minute, enforced });
    };
    add("requests", limits.rpm, true);
    add("tokens", limits.tpm, true);
    // Anthropic reports input and output tokens separately; the mock enforces their sum only.
    add("inputTokens", limits.tpm, false);
    add("outputTokens", limits.tpm, false);
  }

  /** Admits and records the request, or says how long until it would fit. */
  admit(charge: Charge, now: number): Admission {
    const amounts = this.amounts(charge);
    for (const [dimension, meter] of this.meters) {
      const wait = meter.enforced?.waitFor(amounts[dimension], now) ?? 0;
      if (wait > 0) return { admitted: false, retryAfterMs: wait, limit: dimension };
    }
    for (const [dimension, meter] of this.meters) {
      meter.minute.record(amounts[dimension], now);
      if (meter.enforced !== meter.minute) meter.enforced?.record(amounts[dimension], now);
    }
    return { admitted: true };
  }

  reading(now: number): MeterReading {
    const reading: MeterReading = {};
    for (const [dimension, meter] of this.meters) {
      reading[dimension] = {
        limit: meter.limit,
        remaining: Math.max(0, Math.floor(meter.limit - meter.minute.used(now))),
        resetMs: meter.minute.resetMs(now),
      };
    }
    return reading;
  }

  /**
   * The reading a refusal carries: the limit that refused reports what its enforced window has left
   * and when that window is empty again — under `strict`, the one-second window rather than the
   * minute, which may still look roomy — so the headers agree with the 429 they come with.
   */
  refusedReading(refusal: Extract<Admission, { admitted: false }>, now: number): MeterReading {
    const reading = this.reading(now);
    const meter = this.meters.get(refusal.limit);
    const shown = reading[refusal.limit];
    if (!meter?.enforced || !shown) return reading;
    const left = Math.max(0, Math.floor(meter.enforced.capacity - meter.enforced.used(now)));
    reading[refusal.limit] = {
      limit: shown.limit,
      remaining: Math.min(shown.remaining, left),
      resetMs: Math.max(refusal.retryAfterMs, meter.enforced.resetMs(now)),
    };
    return reading;
  }

  private amounts(charge: Charge): Record<Dimension, number> {
    return {
      requests: 1,
      tokens: charge.tokens,
      inputTokens: charge.inputTokens,
      outputTokens: charge.outputTokens,
    };
  }
}
