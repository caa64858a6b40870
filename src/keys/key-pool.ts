import type { Charge } from "../core/charge.js";
import type { Clock } from "../core/clock.js";
import { NoUsableKeyError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { KeyBroker, KeyLease, LeaseFailure } from "../core/key-broker.js";
import type { AdmitDecision, LimiterAdmission } from "../core/limiter.js";
import type { RateLimitSnapshot } from "../core/provider.js";
import { type KeyOrder, keyOrder, type Strategy } from "./key-strategy.js";
import type { PoolKey } from "./pool-key.js";

/** A key lent for one request: what the engine sees, plus the key and what its scope admitted. */
export interface Lease extends KeyLease {
  key: PoolKey;
  admission: LimiterAdmission;
}

interface Waiter {
  charge: Charge;
  resolve: (lease: Lease) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

const LATENCY_EMA_WEIGHT = 0.2;

/**
 * The keys of a run, grouped by provider. Requests wait in line (first come, first served) until a
 * usable key's scope admits them; the strategy decides which key goes first (DESIGN §6).
 */
export class KeyPool implements KeyBroker {
  private readonly byProvider = new Map<string, PoolKey[]>();
  private readonly orders = new Map<string, KeyOrder>();
  private readonly queues = new Map<string, Waiter[]>();
  /** Each provider's pending wake-up: when it fires, and how to cancel it. */
  private readonly timers = new Map<string, { at: number; cancel: AbortController }>();
  /** Providers whose pump waits for a limiter's answer; pumping again must wait for it. */
  private readonly pumping = new Set<string>();

  constructor(
    readonly keys: readonly PoolKey[],
    private readonly strategy: Strategy,
    private readonly clock: Clock,
    private readonly emit: EventSink,
  ) {
    for (const key of keys) {
      const list = this.byProvider.get(key.provider) ?? [];
      list.push(key);
      this.byProvider.set(key.provider, list);
    }
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key.scope.name)) continue;
      seen.add(key.scope.name);
      this.emitLimits(key);
    }
  }

  usable(provider: string): PoolKey[] {
    return (this.byProvider.get(provider) ?? []).filter((k) => k.health.state !== "disabled");
  }

  /** Waits for a key whose scope admits `charge`. Rejects with `NoUsableKeyError` when none is left. */
  acquire(provider: string, charge: Charge, signal: AbortSignal): Promise<Lease> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const queue = this.queues.get(provider) ?? [];
      this.queues.set(provider, queue);
      const waiter: Waiter = {
        charge,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(signal.reason);
          this.pump(provider);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      queue.push(waiter);
      this.pump(provider);
    });
  }

  /** The request succeeded: update the key's health and its scope's view of the provider's limits. */
  succeeded(lease: KeyLease, settled: Charge, snapshot: RateLimitSnapshot | undefined): void {
    const { key } = lease as Lease;
    const now = this.clock.now();
    if (key.scope.succeeded((lease as Lease).admission, settled, snapshot, now)) this.emitLimits(key);
    const latency = now - lease.startedAt;
    const health = key.health;
    health.inFlight--;
    health.successes++;
    health.consecutiveFailures = 0;
    health.latencyEmaMs =
      health.latencyEmaMs === undefined
        ? latency
        : health.latencyEmaMs + LATENCY_EMA_WEIGHT * (latency - health.latencyEmaMs);
    if (health.state === "cooling" && !key.scope.isCooling) this.setState(key, "active");
    this.pump(key.provider);
  }

  /** The request failed; a 429 cools the key's scope, a bad key or exhausted quota disables the key. */
  failed(lease: KeyLease, failure: LeaseFailure, snapshot?: RateLimitSnapshot): void {
    const { key, admission } = lease as Lease;
    const now = this.clock.now();
    key.health.inFlight--;
    key.health.consecutiveFailures++;
    if (failure.type === "rate_limited") {
      const retryAfterMs = failure.retryAfterMs ?? 1_000;
      if (key.scope.rateLimited(admission, retryAfterMs, snapshot, now)) this.emitLimits(key);
      this.emit({ type: "rate_limited", key: key.fingerprint, scope: key.scope.name, retryAfterMs });
      for (const other of this.keys) {
        if (other.scope === key.scope && other.health.state === "active") {
          this.setState(other, "cooling", { until: now + retryAfterMs });
        }
      }
    } else {
      key.scope.failed(admission);
      if (
        (failure.type === "auth" || failure.type === "quota_exhausted") &&
        key.health.state !== "disabled"
      ) {
        const reason = failure.type === "auth" ? `rejected (${failure.message})` : "quota exhausted";
        key.health.reason = reason;
        this.setState(key, "disabled", { reason });
        this.emit({ type: "key_disabled", key: key.fingerprint, provider: key.provider, reason });
      }
    }
    this.pump(key.provider);
  }

  /** Why the keys of a provider are unusable, naming each by fingerprint. */
  describeDisabled(provider: string): string {
    return (this.byProvider.get(provider) ?? [])
      .map((k) => `key ${k.fingerprint}: ${k.health.reason ?? k.health.state}`)
      .join("; ");
  }

  /**
   * Lends keys to the waiters of `provider`, first come first served, while a usable key's scope
   * admits the next one; otherwise wakes up when the soonest scope may. A limiter that answers
   * later (shared through a coordinator) pauses the pump until it has.
   */
  private pump(provider: string, from = 0): void {
    if (this.pumping.has(provider)) return;
    const queue = this.queues.get(provider) ?? [];
    const order = this.orders.get(provider) ?? keyOrder(this.strategy);
    this.orders.set(provider, order);
    let start = from;
    while (queue.length > 0) {
      const usable = this.usable(provider);
      if (usable.length === 0) {
        const error = new NoUsableKeyError(
          `no usable ${provider} key left: ${this.describeDisabled(provider)}`,
        );
        for (const waiter of queue.splice(0)) this.settle(waiter, () => waiter.reject(error));
        break;
      }
      const waiter = queue[0] as Waiter;
      const now = this.clock.now();
      let soonest = Number.POSITIVE_INFINITY;
      const candidates = order.candidates(usable);
      let lent = false;
      for (let i = start; i < candidates.length; i++) {
        const key = candidates[i] as PoolKey;
        const decision = key.scope.tryAdmit(waiter.charge, now);
        if (decision instanceof Promise) {
          this.pumping.add(provider);
          decision.then(
            (answer) => {
              this.pumping.delete(provider);
              if (this.decided(provider, key, order, usable, answer, now)) this.pump(provider);
              else this.pump(provider, i + 1);
            },
            (error: unknown) => {
              this.pumping.delete(provider);
              const head = queue.shift();
              if (head) this.settle(head, () => head.reject(error));
              this.pump(provider);
            },
          );
          return;
        }
        if ("admitted" in decision) {
          this.lend(provider, key, order, usable, decision.admitted, now);
          lent = true;
          break;
        }
        soonest = Math.min(soonest, decision.waitMs);
      }
      start = 0;
      if (!lent) {
        this.wakeIn(provider, Math.max(1, Math.min(soonest, 60_000)), now);
        return;
      }
    }
    // Nobody is waiting: no wake-up is needed.
    this.timers.get(provider)?.cancel.abort();
    this.timers.delete(provider);
  }

  /** A limiter's later answer: lends the key if it admitted; returns false when it said to wait. */
  private decided(
    provider: string,
    key: PoolKey,
    order: KeyOrder,
    usable: PoolKey[],
    answer: AdmitDecision,
    now: number,
  ): boolean {
    if (!("admitted" in answer)) {
      this.wakeIn(provider, Math.max(1, Math.min(answer.waitMs, 60_000)), now);
      return false;
    }
    if ((this.queues.get(provider) ?? []).length === 0) {
      key.scope.failed(answer.admitted); // the waiter left meanwhile: give the admission back
      return true;
    }
    this.lend(provider, key, order, usable, answer.admitted, now);
    return true;
  }

  /** Lends `key` to the first waiter, with what its scope admitted. */
  private lend(
    provider: string,
    key: PoolKey,
    order: KeyOrder,
    usable: PoolKey[],
    admission: LimiterAdmission,
    now: number,
  ): void {
    const waiter = (this.queues.get(provider) ?? []).shift() as Waiter;
    order.chosen(key, usable);
    key.health.inFlight++;
    key.health.requests++;
    if (key.health.state === "cooling") this.setState(key, "active");
    const lease: Lease = {
      key,
      admission,
      startedAt: now,
      fingerprint: key.fingerprint,
      scope: key.scope.name,
      credential: { key: key.value, baseUrl: key.baseUrl },
    };
    this.settle(waiter, () => waiter.resolve(lease));
  }

  /**
   * Pumps again in `ms`, unless a wake-up already comes by then (an early one only pumps again):
   * answers pump far more often than the wait changes, and timers are not free.
   */
  private wakeIn(provider: string, ms: number, now: number): void {
    const at = now + ms;
    const pending = this.timers.get(provider);
    if (pending && pending.at <= at) return;
    pending?.cancel.abort();
    const timer = { at, cancel: new AbortController() };
    this.timers.set(provider, timer);
    this.clock.sleep(ms, timer.cancel.signal).then(
      () => {
        if (this.timers.get(provider) === timer) this.timers.delete(provider);
        this.pump(provider);
      },
      () => {},
    );
  }

  private settle(waiter: Waiter, done: () => void): void {
    waiter.signal.removeEventListener("abort", waiter.onAbort);
    done();
  }

  private setState(
    key: PoolKey,
    state: PoolKey["health"]["state"],
    extra: { until?: number; reason?: string } = {},
  ): void {
    if (key.health.state === "disabled") return;
    key.health.state = state;
    this.emit({
      type: "key_state",
      key: key.fingerprint,
      provider: key.provider,
      scope: key.scope.name,
      state,
      ...extra,
    });
  }

  private emitLimits(key: PoolKey): void {
    const limits = key.scope.limits();
    this.emit({
      type: "scope_limits",
      scope: key.scope.name,
      rpm: limits.requests ?? null,
      tpm: limits.tokens ?? null,
    });
  }

  /** Stops the pump timers (the run is over). */
  close(): void {
    for (const timer of this.timers.values()) timer.cancel.abort();
    this.timers.clear();
  }
}
