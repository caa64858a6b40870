import { type Charge, DIMENSIONS, type Dimension } from "../core/charge.js";
import type { AdmitDecision, Limiter, LimiterAdmission, ScopeLimits } from "../core/limiter.js";
import type { RateLimitSnapshot } from "../core/provider.js";
import { type Spend, WindowBudget } from "./window-budget.js";

/** What admitting a request recorded: whether it went out as a burst, and its charges in the windows. */
export interface Admission extends LimiterAdmission {
  charge: Charge;
  burst: boolean;
  spends: Map<Dimension, Spend>;
}

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
 * limit over short windows). A limit the user gave (`--rpm`, `--tpm`, the pool file) is a ceiling
 * over every sliding minute for bursts and paced requests alike: the headers may let a scope send
 * its minute's worth sooner, never more of it.
 */
export class LimitScope implements Limiter {
  private readonly dimensions = new Map<Dimension, DimensionState>();
  private coolingUntil = 0;
  private readonly inFlight: Charge = { requests: 0, tokens: 0, inputTokens: 0, outputTokens: 0 };
  /** What went through the scope in this process, as the provider settled it: for the report. */
  readonly sent = { requests: 0, tokens: 0 };
  private credit: Partial<Record<Dimension, number>> | undefined;
  private burstAllowed = true;
  /** Bursts go out in generations; a generation answered without a 429 makes the next one four times as big. */
  private generation = { size: 0, admitted: 0, settled: 0 };

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
    // A burst skips the pacing, never a ceiling the user gave.
    const burst = this.canBurst(charge, now);
    let wait = 0;
    for (const [dimension, state] of this.dimensions) {
      const amount = charge[dimension];
      const dimensionWait = burst
        ? state.window.ceilingWaitMs(amount, now)
        : state.window.waitMs(amount, now);
      wait = Math.max(wait, dimensionWait);
    }
    return wait;
  }

  /** Admits `charge` now, or says how long until it may be: the `Limiter` port, answered at once. */
  tryAdmit(charge: Charge, now: number): AdmitDecision {
    const waitMs = this.waitMs(charge, now);
    return waitMs === 0 ? { admitted: this.admit(charge, now) } : { waitMs };
  }

  /** Admits `charge` (call only when `waitMs` said 0): as a burst where pacing alone would hold it back. */
  admit(charge: Charge, now: number): Admission {
    const burst = this.canBurst(charge, now);
    if (burst && this.credit) {
      for (const dimension of DIMENSIONS) {
        const credit = this.credit[dimension];
        if (credit !== undefined) this.credit[dimension] = credit - charge[dimension];
      }
      this.generation.admitted++;
    }
    const spends = new Map<Dimension, Spend>();
    for (const [dimension, state] of this.dimensions) {
      spends.set(dimension, state.window.record(charge[dimension], now, !burst));
    }
    addTo(this.inFlight, charge, 1);
    return { charge, burst, spends };
  }

  /** A request of this scope was answered; `settled` is the charge as the provider counted it. */
  succeeded(
    limiterAdmission: LimiterAdmission,
    settled: Charge,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): boolean {
    const admission = limiterAdmission as Admission;
    addTo(this.inFlight, admission.charge, -1);
    this.sent.requests++;
    this.sent.tokens += settled.tokens;
    for (const [dimension, spend] of admission.spends) {
      this.dimensions.get(dimension)?.window.adjust(spend, settled[dimension], now);
    }
    if (admission.burst) this.burstSettled(true);
    return snapshot ? this.learn(snapshot) : false;
  }

  /** A request failed without a 429: it no longer counts as in flight. */
  failed(limiterAdmission: LimiterAdmission): void {
    const admission = limiterAdmission as Admission;
    addTo(this.inFlight, admission.charge, -1);
    this.sent.requests++;
    if (admission.burst) this.burstSettled(false);
  }

  /** A 429: cool down for what the provider asked; a burst answered 429 ends bursting instead. */
  rateLimited(
    limiterAdmission: LimiterAdmission,
    retryAfterMs: number,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): boolean {
    const admission = limiterAdmission as Admission;
    this.failed(admission);
    this.credit = undefined;
    const limitsChanged = snapshot ? this.learnLimits(snapshot) : false;
    if (admission.burst) {
      // The provider enforces its limit over short windows: pacing alone is right for this scope.
      this.burstAllowed = false;
    } else {
      this.coolingUntil = Math.max(this.coolingUntil, now + Math.max(retryAfterMs, 50));
    }
    return limitsChanged;
  }

  /**
   * The first generation is one request, and each answered without a 429 doubles the next: a
   * provider that allows a minute's burst gets it within a dozen round trips, and one that enforces
   * short windows answers an early, small generation 429, so little is lost finding out (a 429 there
   * also fails the paced requests that share its window).
   */
  private burstSettled(succeeded: boolean): void {
    const generation = this.generation;
    generation.settled++;
    if (generation.settled < generation.admitted || generation.admitted < generation.size) return;
    generation.size = succeeded ? generation.size * 4 : generation.size;
    generation.admitted = 0;
    generation.settled = 0;
  }

  private canBurst(charge: Charge, now: number): boolean {
    if (!this.burstAllowed || !this.credit || !this.testsShortWindows(charge, now)) return false;
    if (this.generation.size === 0) this.generation.size = 1;
    if (this.generation.admitted >= this.generation.size) return false;
    for (const dimension of DIMENSIONS) {
      const credit = this.credit[dimension];
      if (credit !== undefined && credit < charge[dimension]) return false;
    }
    return true;
  }

  /**
   * Whether a burst of `charge` now would test what the provider allows beyond its short windows.
   * A request nothing holds back goes paced. In the opening window only one past the whole share
   * tests it (anything short of that fits a short window, and proves nothing); after it, one the
   * schedule holds back does too, since at high limits pacing never fills the window to the top.
   */
  private testsShortWindows(charge: Charge, now: number): boolean {
    let held = false;
    let pastShare = false;
    let opening = false;
    for (const [dimension, state] of this.dimensions) {
      if (effective(state) === undefined) continue;
      const hold = state.window.holdOn(charge[dimension], now);
      held ||= hold !== "nothing";
      pastShare ||= hold === "share";
      opening ||= state.window.isOpening(now);
    }
    return held && (pastShare || !opening);
  }

  /** Takes in what the headers say; returns whether the limits in force changed. */
  private learn(snapshot: RateLimitSnapshot): boolean {
    const limitsChanged = this.learnLimits(snapshot);
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
      credit[dimension] = this.headroom(dimension, value) * HEADER_TRUST - this.inFlight[dimension];
      any = true;
    }
    this.credit = any ? credit : undefined;
    return limitsChanged;
  }

  /**
   * What the limit in force leaves of what the provider says remains: a lower configured limit
   * leaves that much less (the provider has counted `learned - remaining` already).
   */
  private headroom(dimension: Dimension, remaining: number): number {
    const state = this.dimensions.get(dimension);
    if (state?.configured === undefined) return remaining;
    if (state.learned === undefined) return Math.min(remaining, state.configured);
    return remaining - Math.max(0, state.learned - state.configured);
  }

  private learnLimits(snapshot: RateLimitSnapshot): boolean {
    const learned: Partial<Record<Dimension, number | undefined>> = {
      requests: snapshot.limitRequests,
      tokens: snapshot.limitTokens,
      inputTokens: snapshot.limitInputTokens,
      outputTokens: snapshot.limitOutputTokens,
    };
    let changed = false;
    for (const dimension of DIMENSIONS) {
      const limit = learned[dimension];
      if (limit !== undefined && limit > 0) changed = this.setLimit(dimension, "learned", limit) || changed;
    }
    return changed;
  }

  /** Sets one source of a limit; returns whether the limit in force changed. */
  private setLimit(dimension: Dimension, source: "configured" | "learned", limit: number): boolean {
    let state = this.dimensions.get(dimension);
    if (!state) {
      state = { configured: undefined, learned: undefined, window: new WindowBudget(limit) };
      this.dimensions.set(dimension, state);
    }
    if (state[source] === limit) return false;
    const before = effective(state);
    state[source] = limit;
    state.window.setLimit(effective(state) ?? limit);
    if (source === "configured") state.window.setCeiling(limit);
    return effective(state) !== before;
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
