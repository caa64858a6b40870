import type { RateLimitSnapshot } from "../../providers/types.js";
import { type Charge, DIMENSIONS, type Dimension } from "./charge.js";
import { WindowBudget } from "./window-budget.js";

/** Per-minute limits of a scope; a missing one is not limited. */
export type ScopeLimits = Partial<Record<Dimension, number>>;

interface DimensionState {
  configured: number | undefined;
  learned: number | undefined;
  window: WindowBudget;
}

/** The share of what the headers say remains that a burst may use. */
const HEADER_TRUST = 0.95;

/**
 * What a provider meters together (an OpenAI organization/project, an Anthropic workspace): its
 * limits, what it has spent lately, and whether it is cooling down after a 429 (DESIGN §6).
 *
 * Admission is paced over one-second windows unless the provider's rate-limit headers say more
 * remains; then the scope may burst into that, growing the burst as answers confirm it (a slow
 * start), and it stops bursting for good if a burst is answered 429 (the provider enforces its
 * limit over short windows).
 */
export class LimitScope {
  private readonly dimensions = new Map<Dimension, DimensionState>();
  private coolingUntil = 0;
  private readonly inFlight: Charge = { requests: 0, tokens: 0, inputTokens: 0, outputTokens: 0 };
  private credit: Partial<Record<Dimension, number>> | undefined;
  private burstAllowed = true;
  private burstProbe = 1;
  private burstOutstanding = 0;

  constructor(
    readonly name: string,
    configured: ScopeLimits = {},
  ) {
    for (const dimension of DIMENSIONS) {
      const limit = configured[dimension];
      if (limit !== undefined && limit > 0) this.setLimit(dimension, "configured", limit);
    }
  }

  /** The limits in force (the lower of configured and learned). */
  limits(): ScopeLimits {
    const limits: ScopeLimits = {};
    for (const [dimension, state] of this.dimensions) {
      const limit = effective(state);
      if (limit !== undefined) limits[dimension] = limit;
    }
    return limits;
  }

  get isCooling(): boolean {
    return this.coolingUntil > 0;
  }

  cooldownEnd(now: number): number | undefined {
    return this.coolingUntil > now ? this.coolingUntil : undefined;
  }

  /** Milliseconds until `charge` may be admitted; 0 means now. */
  waitMs(charge: Charge, now: number): number {
    if (this.coolingUntil > now) return this.coolingUntil - now;
    this.coolingUntil = 0;
    let wait = 0;
    for (const [dimension, state] of this.dimensions) {
      if (effective(state) === undefined) continue;
      wait = Math.max(wait, state.window.waitMs(charge[dimension], now));
    }
    if (wait === 0 || this.canBurst(charge)) return 0;
    return wait;
  }

  /** Admits `charge` (call only when `waitMs` said 0); returns whether it went out as a burst. */
  admit(charge: Charge, now: number): { burst: boolean } {
    let fits = true;
    for (const [dimension, state] of this.dimensions) {
      if (effective(state) === undefined) continue;
      if (state.window.waitMs(charge[dimension], now) > 0) fits = false;
    }
    const burst = !fits && this.canBurst(charge);
    if (burst && this.credit) {
      for (const dimension of DIMENSIONS) {
        const credit = this.credit[dimension];
        if (credit !== undefined) this.credit[dimension] = credit - charge[dimension];
      }
      this.burstOutstanding++;
    }
    for (const [dimension, state] of this.dimensions) state.window.record(charge[dimension], now);
    addTo(this.inFlight, charge, 1);
    return { burst };
  }

  /** A request of this scope was answered; `settled` is the charge as the provider counted it. */
  succeeded(
    admitted: Charge,
    settled: Charge,
    burst: boolean,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): void {
    addTo(this.inFlight, admitted, -1);
    for (const [dimension, state] of this.dimensions)
      state.window.adjust(settled[dimension] - admitted[dimension], now);
    if (burst) {
      this.burstOutstanding--;
      this.burstProbe++;
    }
    if (snapshot) this.learn(snapshot);
  }

  /** A request failed without a 429: it no longer counts as in flight. */
  failed(admitted: Charge, burst: boolean): void {
    addTo(this.inFlight, admitted, -1);
    if (burst) this.burstOutstanding--;
  }

  /** A 429: cool down for what the provider asked; a burst answered 429 ends bursting. */
  rateLimited(
    admitted: Charge,
    burst: boolean,
    retryAfterMs: number,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): void {
    this.failed(admitted, burst);
    if (burst) this.burstAllowed = false;
    this.credit = undefined;
    this.coolingUntil = Math.max(this.coolingUntil, now + Math.max(retryAfterMs, 50));
    if (snapshot) this.learnLimits(snapshot);
  }

  private canBurst(charge: Charge): boolean {
    if (!this.burstAllowed || !this.credit || this.burstOutstanding >= this.burstProbe) return false;
    for (const dimension of DIMENSIONS) {
      const credit = this.credit[dimension];
      if (credit !== undefined && credit < charge[dimension]) return false;
    }
    return true;
  }

  private learn(snapshot: RateLimitSnapshot): void {
    this.learnLimits(snapshot);
    const remaining: Partial<Record<Dimension, number | undefined>> = {
      requests: snapshot.remainingRequests,
      tokens: snapshot.remainingTokens,
      inputTokens: snapshot.remainingInputTokens,
      outputTokens: snapshot.remainingOutputTokens,
    };
    const credit: Partial<Record<Dimension, number>> = {};
    let any = false;
    for (const dimension of DIMENSIONS) {
      const value = remaining[dimension];
      if (value === undefined) continue;
      credit[dimension] = value * HEADER_TRUST - this.inFlight[dimension];
      any = true;
    }
    this.credit = any ? credit : undefined;
  }

  private learnLimits(snapshot: RateLimitSnapshot): void {
    const learned: Partial<Record<Dimension, number | undefined>> = {
      requests: snapshot.limitRequests,
      tokens: snapshot.limitTokens,
      inputTokens: snapshot.limitInputTokens,
      outputTokens: snapshot.limitOutputTokens,
    };
    for (const dimension of DIMENSIONS) {
      const limit = learned[dimension];
      if (limit !== undefined && limit > 0) this.setLimit(dimension, "learned", limit);
    }
  }

  private setLimit(dimension: Dimension, source: "configured" | "learned", limit: number): void {
    let state = this.dimensions.get(dimension);
    if (!state) {
      state = { configured: undefined, learned: undefined, window: new WindowBudget(limit) };
      this.dimensions.set(dimension, state);
    }
    if (state[source] === limit) return;
    state[source] = limit;
    state.window.setLimit(effective(state) ?? limit);
  }
}

function effective(state: DimensionState): number | undefined {
  if (state.configured === undefined) return state.learned;
  if (state.learned === undefined) return state.configured;
  return Math.min(state.configured, state.learned);
}

function addTo(total: Charge, charge: Charge, sign: 1 | -1): void {
  for (const dimension of DIMENSIONS) total[dimension] += sign * charge[dimension];
}
