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
  /** The item the key was lent for (see `KeyPool`). */
  item: ItemName;
}

/** An item as the pool tells items apart: its id, or a name of its own for a call that gave none. */
type ItemName = string | symbol;

interface Waiter {
  charge: Charge;
  item: ItemName;
  resolve: (lease: Lease) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

const LATENCY_EMA_WEIGHT = 0.2;

/** Failures that may say the key itself is bad: refused (401/403), or its account out of quota. */
const REFUSALS = new Set(["auth", "quota_exhausted"]);

/** Answers that needed a valid key to be given: like a success, they say the key works. */
const KEY_WORKED = new Set(["bad_request", "content_filter", "rate_limited", "request_too_large"]);

/** Refusals of the same kind, from different items, that take a key out of the run. */
const REFUSALS_TO_DISABLE = 2;

/** What the pool has learned about a key from its answers. */
interface KeyEvidence {
  /** An answer has shown the key works (a success, or a failure that needed a valid key). */
  works: boolean;
  /** Refusals of one kind (`type:status`) since the key last worked, from different items. */
  refusals: { kind: string; count: number } | undefined;
  /** The items it refused: each counts once, and is lent another key when there is one. */
  refused: Set<ItemName>;
}

/**
 * The keys of a run, grouped by provider. Requests wait in line (first come, first served) until a
 * usable key's scope admits them; the strategy decides which key goes first (DESIGN §6).
 *
 * A key is trusted by its answers. Until one shows it works, and again after a refusal that may be
 * the key's, it has one request in flight at a time (a slow start), so a dead key costs at most
 * `REFUSALS_TO_DISABLE` requests. It is disabled by evidence about the key, never by one row: two
 * refusals of the same kind (401, 403, or quota) for different items, with nothing from the key
 * working in between. Once a key has worked, a 403 no longer counts: it is about the row or its
 * model (a key may lack access to one model), and that row fails with its own error.
 *
 * Items are told apart by the name `acquire` is given (the engine gives the item's id). A key
 * refusing an item again learns nothing new about itself, and an item a key refused is lent another
 * key while there is one.
 */
export class KeyPool implements KeyBroker {
  private readonly byProvider = new Map<string, PoolKey[]>();
  private readonly orders = new Map<string, KeyOrder>();
  private readonly queues = new Map<string, Waiter[]>();
  /** Each provider's pending wake-up: when it fires, and how to cancel it. */
  private readonly timers = new Map<string, { at: number; cancel: AbortController }>();
  /** Providers whose pump waits for a limiter's answer; pumping again must wait for it. */
  private readonly pumping = new Set<string>();
  /**
   * Providers asked to pump while their pump waited: an answer came meanwhile, so a wait the
   * limiter gave may be out of date (a settled charge moved its schedule back); pump from the top.
   */
  private readonly repump = new Set<string>();
  private readonly evidence = new Map<PoolKey, KeyEvidence>();
  /**
   * Keys passed over in their slow start, which then get the turns they missed: a run's first round
   * trip would otherwise leave the key that answered first with more than its share. Smooth
   * weighted round-robin credits a key passed over by itself.
   */
  private readonly catchingUp = new Set<PoolKey>();
  /** Whether any key has refused a request yet (until then, no waiter needs its keys sorted out). */
  private refusedAny = false;

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
      this.evidence.set(key, { works: false, refusals: undefined, refused: new Set() });
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
  acquire(provider: string, charge: Charge, signal: AbortSignal, item?: string): Promise<Lease> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const queue = this.queues.get(provider) ?? [];
      this.queues.set(provider, queue);
      const waiter: Waiter = {
        charge,
        item: item ?? Symbol("request"),
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
    this.worked(key);
    this.pump(key.provider);
  }

  /** The request failed; a 429 cools the key's scope, a bad key or exhausted quota disables the key. */
  failed(lease: KeyLease, failure: LeaseFailure, snapshot?: RateLimitSnapshot): void {
    const { key, admission, item } = lease as Lease;
    const now = this.clock.now();
    key.health.inFlight--;
    key.health.consecutiveFailures++;
    if (failure.type === "rate_limited") {
      const retryAfterMs = failure.retryAfterMs ?? 1_000;
      if (key.scope.rateLimited(admission, retryAfterMs, snapshot, now)) this.emitLimits(key);
      this.emit({ type: "rate_limited", key: key.fingerprint, scope: key.scope.name, retryAfterMs });
      this.catchingUp.delete(key); // turns missed cooling down are not owed
      for (const other of this.keys) {
        if (other.scope === key.scope && other.health.state === "active") {
          this.setState(other, "cooling", { until: now + retryAfterMs });
        }
      }
    } else {
      key.scope.failed(admission);
    }
    if (REFUSALS.has(failure.type)) this.refused(key, failure, item);
    else if (KEY_WORKED.has(failure.type)) this.worked(key);
    this.pump(key.provider);
  }

  /**
   * Another process sharing the coordinator found this key dead: it is taken out of the run here
   * too, without spending requests to find out again.
   */
  disableFoundElsewhere(provider: string, fingerprint: string, reason: string): void {
    for (const key of this.byProvider.get(provider) ?? []) {
      if (key.fingerprint !== fingerprint || key.health.state === "disabled") continue;
      const why = `${reason} (found by another process)`;
      key.health.reason = why;
      this.setState(key, "disabled", { reason: why });
      this.emit({ type: "key_disabled", key: key.fingerprint, provider, reason: why });
      this.pump(provider);
    }
  }

  /** An answer showed the key works: it leaves its slow start, and refusals so far are forgotten. */
  private worked(key: PoolKey): void {
    const evidence = this.evidence.get(key);
    if (!evidence) return;
    evidence.works = true;
    evidence.refusals = undefined;
  }

  /** A refusal (401/403, quota) that may be the key's; enough of them, for different items, disable it. */
  private refused(key: PoolKey, failure: LeaseFailure, item: ItemName): void {
    const evidence = this.evidence.get(key);
    if (!evidence || key.health.state === "disabled") return;
    this.refusedAny = true;
    if (evidence.refused.has(item)) return; // the same item again: nothing new about the key
    evidence.refused.add(item);
    // A key that works may still lack access to one model or feature: a 403 is about the request.
    if (evidence.works && failure.status === 403) return;
    const kind = `${failure.type}:${failure.status ?? ""}`;
    const count = evidence.refusals?.kind === kind ? evidence.refusals.count + 1 : 1;
    evidence.refusals = { kind, count };
    if (count < REFUSALS_TO_DISABLE) return;
    const reason = failure.type === "auth" ? `rejected (${failure.message})` : "quota exhausted";
    key.health.reason = reason;
    this.setState(key, "disabled", { reason });
    this.emit({ type: "key_disabled", key: key.fingerprint, provider: key.provider, reason });
  }

  /**
   * A key not trusted yet (never worked, or refused since) has one request in flight at a time. A
   * provider that takes no key (mock) has nothing to find out.
   */
  private onProbation(key: PoolKey): boolean {
    const evidence = this.evidence.get(key);
    if (evidence === undefined || key.value === undefined) return false;
    return !evidence.works || evidence.refusals !== undefined;
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
    if (this.pumping.has(provider)) {
      this.repump.add(provider);
      return;
    }
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
      let candidates = this.catchingUp.size > 0 ? this.catchUpFirst(order, usable) : order.candidates(usable);
      if (this.refusedAny) candidates = this.notRefusing(candidates, waiter.item);
      let lent = false;
      for (let i = start; i < candidates.length; i++) {
        const key = candidates[i] as PoolKey;
        // On probation with its one request out: its answer pumps again.
        if (key.health.inFlight > 0 && this.onProbation(key)) {
          if (this.strategy !== "weighted") this.catchingUp.add(key);
          continue;
        }
        const decision = key.scope.tryAdmit(waiter.charge, now);
        if (decision instanceof Promise) {
          this.pumping.add(provider);
          decision.then(
            (answer) => {
              this.pumping.delete(provider);
              const again = this.repump.delete(provider);
              if (this.decided(provider, key, order, usable, answer, now) || again) this.pump(provider);
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
        // Nothing to wake up for when only answers on their way can free a key.
        if (soonest < Number.POSITIVE_INFINITY)
          this.wakeIn(provider, Math.max(1, Math.min(soonest, 60_000)), now);
        return;
      }
    }
    // Nobody is waiting: no wake-up is needed.
    this.timers.get(provider)?.cancel.abort();
    this.timers.delete(provider);
  }

  /** The keys that have not refused this request, or all of them when each has. */
  private notRefusing(candidates: PoolKey[], item: ItemName): PoolKey[] {
    const others = candidates.filter((key) => !this.evidence.get(key)?.refused.has(item));
    return others.length > 0 ? others : candidates;
  }

  /**
   * The strategy's order, with the keys catching up on the turns their slow start cost them first
   * (fewest requests first), until each has had as many as the most any other key had.
   */
  private catchUpFirst(order: KeyOrder, usable: PoolKey[]): PoolKey[] {
    let most = 0;
    for (const key of usable) if (!this.catchingUp.has(key)) most = Math.max(most, key.health.requests);
    const behind: PoolKey[] = [];
    for (const key of this.catchingUp) {
      if (key.health.requests >= most || !usable.includes(key)) this.catchingUp.delete(key);
      else if (!this.onProbation(key)) behind.push(key);
    }
    const candidates = order.candidates(usable);
    if (behind.length === 0) return candidates;
    behind.sort((a, b) => a.health.requests - b.health.requests);
    return [...behind, ...candidates.filter((key) => !behind.includes(key))];
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
      item: waiter.item,
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
