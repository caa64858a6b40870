import type { Charge, Dimension } from "./charge.js";
import type { RateLimitSnapshot } from "./provider.js";

/** Per-minute limits of a scope; a missing one is not limited. */
export type ScopeLimits = Partial<Record<Dimension, number>>;

/** What a limiter recorded when it admitted a request; handed back when the request ends. */
export interface LimiterAdmission {
  readonly charge: Charge;
}

/** Admitted now, or how long until the charge may be. */
export type AdmitDecision = { admitted: LimiterAdmission } | { waitMs: number };

/**
 * One limit scope's admission control (DESIGN §6): what an OpenAI organization/project or an
 * Anthropic workspace meters. `tryAdmit` may answer at once (the in-process `LimitScope`) or after a
 * round trip (a limiter shared through a coordinator); the key pool handles both.
 */
export interface Limiter {
  readonly name: string;
  /** Admits `charge` now if the scope's limits allow it, or says how many ms until they may. */
  tryAdmit(charge: Charge, now: number): AdmitDecision | Promise<AdmitDecision>;
  /** A request was answered; returns whether the limits in force changed (learned from headers). */
  succeeded(
    admission: LimiterAdmission,
    settled: Charge,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): boolean;
  /** A 429: cool down for what the provider asked; returns whether the limits in force changed. */
  rateLimited(
    admission: LimiterAdmission,
    retryAfterMs: number,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): boolean;
  /** A request failed without a 429: it no longer counts as in flight. */
  failed(admission: LimiterAdmission): void;
  /** The limits in force (the lower of configured and learned). */
  limits(): ScopeLimits;
  /** Whether the scope is cooling down after a 429. */
  readonly isCooling: boolean;
  /** What went through the scope in this process, as the provider settled it: for the report. */
  readonly sent: { readonly requests: number; readonly tokens: number };
}

/** Makes the limiter of a scope: `name` is the scope's name, `configured` its limits from flags and the pool file. */
export type LimiterFactory = (name: string, configured: ScopeLimits) => Limiter;
