import { randomUUID } from "node:crypto";
import { type Charge, DIMENSIONS, type Dimension } from "../core/charge.js";
import type { AdmitDecision, Limiter, LimiterAdmission, ScopeLimits } from "../core/limiter.js";
import type { RateLimitSnapshot } from "../core/provider.js";
import type { Coordinator } from "./coordinator.js";
import { ADMIT, RATE_LIMITED, SETTLE } from "./limit-scripts.js";
import { scopeKeys } from "./redis-keys.js";

/** How the shared schedule paces a scope. */
export const SHARED_PACING = {
  /**
   * The share of each limit the schedule uses: a little below the in-process 98%, since requests
   * from several processes reach the provider with more jitter between them.
   */
  safety: 0.97,
  /** How far ahead of the schedule an admission may run, in ms. */
  toleranceMs: 20,
  /** A scope's state expires this long after its last admission. */
  idleTtlMs: 10 * 60_000,
  /**
   * Never more than a limit's sixtieth in any window this long: a second (a provider may enforce a
   * per-minute limit over one-second windows, as the in-process `WindowBudget` assumes), and 30 ms
   * more for the jitter between requests from several processes on their way to the provider.
   */
  windowMs: 1_000,
};

/** What an admission recorded: the charge, what the scope was charged, and the lease that counts it in flight. */
interface SharedAdmission extends LimiterAdmission {
  lease: string;
  expected: Charge;
}

/** How much of the last answer's usage the estimate's correction follows (1: the last answer's alone). */
const CORRECTION_WEIGHT = 1;

/**
 * The correction takes at most a tenth off an estimate: the estimate's source may change mid-run
 * (the rough count of the first requests, then the tokenizer's), and a correction learned from
 * one must not under-charge the other by much.
 */
const MOST_CORRECTION = 0.9;

/**
 * A limit scope kept in Redis (the `Limiter` port), shared by every process given the same
 * coordinator: one atomic script admits a request over all of the scope's dimensions (GCRA on
 * Redis's clock), the usage each answer reports settles it, a 429 cools every process down, and the
 * limits learned from headers are the scope's, not the process's. Keys never reach Redis: the scope
 * is named as the key plan names it (`provider:fingerprint`, or the pool file's scope name).
 *
 * Settling is sent without waiting (the port's calls are synchronous); if Redis is gone by then, a
 * lease lapses on its own after `leaseTtlMs`, and the next admission waits for Redis anyway.
 */
export class SharedLimitScope implements Limiter {
  readonly sent = { requests: 0, tokens: 0 };
  private readonly keys: { hash: string; inflight: string; window: string };
  private readonly configured: ScopeLimits;
  private learned: ScopeLimits = {};
  /**
   * What the provider settled, as a share of the charge estimated at admission, per dimension (at
   * most 1): a prompt estimate that runs high (chat formatting counted twice) would otherwise keep a
   * request out of a one-second window it fits in, and at a few requests a window that costs a
   * whole request's share of the throughput. Settling corrects any error either way.
   */
  private readonly correction: Partial<Record<Dimension, number>> = {};
  /** Until when the scope said to wait (Clock time): no need to ask before. */
  private notBefore = 0;
  private coolingUntil = 0;

  constructor(
    readonly name: string,
    configured: ScopeLimits,
    private readonly coordinator: Coordinator,
    private readonly leaseTtlMs: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.configured = { ...configured };
    this.keys = scopeKeys(name);
  }

  /**
   * Admits `charge` if the scope's script does; a scope that said "wait" is not asked again before
   * then (other processes only ever push its schedule later), except after an answer of this
   * process's own, whose settling may move the schedule back.
   */
  tryAdmit(charge: Charge, now: number): AdmitDecision | Promise<AdmitDecision> {
    if (now < this.notBefore) return { waitMs: this.notBefore - now };
    return this.admit(charge, now);
  }

  private async admit(charge: Charge, now: number): Promise<AdmitDecision> {
    const lease = randomUUID();
    const args = [
      "",
      lease,
      String(this.leaseTtlMs),
      String(SHARED_PACING.safety),
      String(SHARED_PACING.toleranceMs),
      String(SHARED_PACING.idleTtlMs),
      String(SHARED_PACING.windowMs),
    ];
    const expected = this.expected(charge);
    for (const dimension of DIMENSIONS) {
      args.push(String(expected[dimension]), String(this.configured[dimension] ?? 0));
    }
    const reply = (await this.coordinator.script(
      ADMIT,
      [this.keys.hash, this.keys.inflight, this.keys.window],
      args,
    )) as string[];
    const [admitted, value, ...limits] = reply;
    this.takeLimits(limits);
    if (Number(admitted) === 1) {
      if (this.coolingUntil <= now) this.coolingUntil = 0;
      const admission: SharedAdmission = { charge, lease, expected };
      return { admitted: admission };
    }
    const waitMs = Math.max(1, Number(value));
    this.notBefore = now + waitMs;
    return { waitMs };
  }

  succeeded(
    admission: LimiterAdmission,
    settled: Charge,
    snapshot: RateLimitSnapshot | undefined,
    _now: number,
  ): boolean {
    const { charge, lease, expected } = admission as SharedAdmission;
    this.sent.requests++;
    this.sent.tokens += settled.tokens;
    this.correct(charge, settled);
    this.notBefore = 0;
    const learned = learnedFrom(snapshot);
    const args = ["", lease, String(SHARED_PACING.safety)];
    for (const dimension of DIMENSIONS) {
      args.push(
        String(expected[dimension]),
        String(settled[dimension]),
        String(this.configured[dimension] ?? 0),
        String(learned[dimension] ?? 0),
      );
    }
    this.fireAndForget(
      this.coordinator.script(SETTLE, [this.keys.hash, this.keys.inflight, this.keys.window], args),
    );
    return this.learn(learned);
  }

  rateLimited(
    admission: LimiterAdmission,
    retryAfterMs: number,
    snapshot: RateLimitSnapshot | undefined,
    now: number,
  ): boolean {
    const { lease } = admission as SharedAdmission;
    this.sent.requests++;
    const learned = learnedFrom(snapshot);
    const args = ["", lease, String(Math.max(0, Math.round(retryAfterMs)))];
    for (const dimension of DIMENSIONS) args.push(String(learned[dimension] ?? 0));
    this.coolingUntil = Math.max(this.coolingUntil, now + retryAfterMs);
    this.notBefore = Math.max(this.notBefore, now + Math.max(retryAfterMs, 50));
    this.fireAndForget(this.coordinator.script(RATE_LIMITED, [this.keys.hash, this.keys.inflight], args));
    return this.learn(learned);
  }

  failed(admission: LimiterAdmission): void {
    const { lease } = admission as SharedAdmission;
    this.sent.requests++;
    this.fireAndForget(this.coordinator.call((client) => client.zRem(this.keys.inflight, lease)));
  }

  limits(): ScopeLimits {
    const limits: ScopeLimits = {};
    for (const dimension of DIMENSIONS) {
      const configured = this.configured[dimension];
      const learned = this.learned[dimension];
      const limit =
        configured === undefined
          ? learned
          : learned === undefined
            ? configured
            : Math.min(configured, learned);
      if (limit !== undefined) limits[dimension] = limit;
    }
    return limits;
  }

  get isCooling(): boolean {
    return this.coolingUntil > 0;
  }

  /** The charge as the provider is expected to settle it (never more than estimated). */
  private expected(charge: Charge): Charge {
    const expected = { ...charge };
    for (const dimension of DIMENSIONS) {
      const share = this.correction[dimension];
      if (share !== undefined) expected[dimension] = Math.ceil(charge[dimension] * share);
    }
    return expected;
  }

  private correct(charge: Charge, settled: Charge): void {
    for (const dimension of DIMENSIONS) {
      if (charge[dimension] <= 0) continue;
      const share = Math.min(1, Math.max(MOST_CORRECTION, settled[dimension] / charge[dimension]));
      const before = this.correction[dimension];
      this.correction[dimension] =
        before === undefined ? share : before + CORRECTION_WEIGHT * (share - before);
    }
  }

  /** The limits in force as the admission script saw them (learned by any process). */
  private takeLimits(limits: string[]): void {
    DIMENSIONS.forEach((dimension, i) => {
      const limit = Number(limits[i] ?? 0);
      const configured = this.configured[dimension];
      if (limit > 0 && (configured === undefined || limit < configured)) this.learned[dimension] = limit;
    });
  }

  /** Takes in limits from headers; returns whether the limits in force changed. */
  private learn(learned: ScopeLimits): boolean {
    const before = JSON.stringify(this.limits());
    for (const dimension of DIMENSIONS) {
      const limit = learned[dimension];
      if (limit !== undefined) this.learned[dimension] = limit;
    }
    return JSON.stringify(this.limits()) !== before;
  }

  private fireAndForget(call: Promise<unknown>): void {
    call.catch((error: unknown) => this.onError(error));
  }
}

function learnedFrom(snapshot: RateLimitSnapshot | undefined): ScopeLimits {
  const learned: Partial<Record<Dimension, number | undefined>> = {
    requests: snapshot?.limitRequests,
    tokens: snapshot?.limitTokens,
    inputTokens: snapshot?.limitInputTokens,
    outputTokens: snapshot?.limitOutputTokens,
  };
  const limits: ScopeLimits = {};
  for (const dimension of DIMENSIONS) {
    const limit = learned[dimension];
    if (limit !== undefined && limit > 0) limits[dimension] = limit;
  }
  return limits;
}
