import type { Charge } from "../core/charge.js";
import type { Clock } from "../core/clock.js";
import { StoppedEarlyError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { RateLimitSnapshot } from "../core/provider.js";
import type { Admission } from "../limits/limit-scope.js";
import { type KeyOrder, keyOrder, type Strategy } from "./key-strategy.js";
import type { PoolKey } from "./pool-key.js";

/** A key lent for one request, with what was charged to its scope. */
export interface Lease {
  key: PoolKey;
  admission: Admission;
  startedAt: number;
}

/** Every key of a provider is disabled: the run cannot go on (exit 3, resumable). */
export class NoUsableKeyError extends StoppedEarlyError {}

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
export class KeyPool {
  private readonly byProvider = new Map<string, PoolKey[]>();
  private readonly orders = new Map<string, KeyOrder>();
  private readonly queues = new Map<string, Waiter[]>();
  /** Each provider's pending wake-up: when it fires, and how to cancel it. */
  private readonly timers = new Map<string, { at: number; cancel: AbortController }>();

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
  succeeded(lease: Lease, settled: Charge, snapshot: RateLimitSnapshot | undefined): void {
    const { key } = lease;
    const now = this.clock.now();
    if (key.scope.succeeded(lease.admission, settled, snapshot, now)) this.emitLimits(key);
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
  failed(
    lease: Lease,
    failure: { type: string; message: string; retryAfterMs?: number | undefined },
    snapshot?: RateLimitSnapshot,
  ): void {
    const { key } = lease;
    const now = this.clock.now();
    key.health.inFlight--;
    key.health.consecutiveFailures++;
    if (failure.type === "rate_limited") {
      const retryAfterMs = failure.retryAfterMs ?? 1_000;
      if (key.scope.rateLimited(lease.admission, retryAfterMs, snapshot, now)) this.emitLimits(key);
      this.emit({ type: "rate_limited", key: key.fingerprint, scope: key.scope.name, retryAfterMs });
      for (const other of this.keys) {
        if (other.scope === key.scope && other.health.state === "active") {
          this.setState(other, "cooling", { until: now + retryAfterMs });
        }
      }
    } else {
      key.scope.failed(lease.admission);
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

  private pump(provider: string): void {
    const queue = this.queues.get(provider) ?? [];
    const order = this.orders.get(provider) ?? keyOrder(this.strategy);
    this.orders.set(provider, order);
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
      let chosen: PoolKey | undefined;
      for (const key of order.candidates(usable)) {
        const wait = key.scope.waitMs(waiter.charge, now);
        if (wait === 0) {
          chosen = key;
          break;
        }
        soonest = Math.min(soonest, wait);
      }
      if (!chosen) {
        this.wakeIn(provider, Math.max(1, Math.min(soonest, 60_000)), now);
        return;
      }
      queue.shift();
      order.chosen(chosen, usable);
      const admission = chosen.scope.admit(waiter.charge, now);
      chosen.health.inFlight++;
      chosen.health.requests++;
      if (chosen.health.state === "cooling") this.setState(chosen, "active");
      const lease: Lease = { key: chosen, admission, startedAt: now };
      this.settle(waiter, () => waiter.resolve(lease));
    }
    // Nobody is waiting: no wake-up is needed.
    this.timers.get(provider)?.cancel.abort();
    this.timers.delete(provider);
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
