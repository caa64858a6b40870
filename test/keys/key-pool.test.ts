import { describe, expect, it } from "vitest";
import type { Charge } from "../../src/core/charge.js";
import { NoUsableKeyError } from "../../src/core/errors.js";
import type { EngineEvent } from "../../src/core/events.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool, type Lease } from "../../src/keys/key-pool.js";
import type { Strategy } from "../../src/keys/key-strategy.js";
import type { KeySpec } from "../../src/keys/load-keys.js";
import { keyFingerprint } from "../../src/keys/pool-key.js";
import { settle, VirtualClock } from "../support/virtual-clock.js";

const charge = (tokens = 10): Charge => ({ requests: 1, tokens, inputTokens: tokens, outputTokens: 0 });

/** A pool of openai keys; each spec names its key value and anything else it sets. */
function pool(specs: (Partial<KeySpec> & { value: string })[], strategy: Strategy = "round-robin") {
  const clock = new VirtualClock();
  const events: EngineEvent[] = [];
  const keys = buildPoolKeys(
    ["openai"],
    specs.map((spec) => ({ provider: "openai", limits: {}, weight: 1, ...spec })),
    {},
    { defaults: {}, baseUrl: () => undefined },
  );
  const keyPool = new KeyPool(keys, strategy, clock, (event) => events.push(event));
  const never = new AbortController().signal;
  const acquire = (c: Charge = charge(), signal: AbortSignal = never, item?: string) =>
    keyPool.acquire("openai", c, signal, item);
  const ok = (lease: Lease) => keyPool.succeeded(lease, lease.admission.charge, undefined);
  return { clock, events, pool: keyPool, keys, acquire, ok };
}

const fp = (value: string) => keyFingerprint(value);

/** Collects the order in which promises resolve. */
function resolutionOrder<T>(entries: [string, Promise<T>][]): string[] {
  const order: string[] = [];
  for (const [name, promise] of entries) {
    promise.then(
      () => order.push(name),
      () => order.push(`${name}:rejected`),
    );
  }
  return order;
}

describe("KeyPool", () => {
  it("serves waiters first come, first served: a small request does not overtake a big one", async () => {
    const { acquire, clock, ok } = pool([{ value: "k1", limits: { tokens: 6_000 } }]); // 100 tokens a second
    ok(await acquire(charge(90)));
    const order = resolutionOrder([
      ["big", acquire(charge(90))],
      ["small", acquire(charge(5))], // would fit at once, but waits its turn
      ["last", acquire(charge(5))],
    ]);
    await settle();
    expect(order).toEqual([]);
    await clock.runAll();
    expect(order).toEqual(["big", "small", "last"]);
  });

  it("paces waiters in virtual time at the scope's limit", async () => {
    const { acquire, clock, ok } = pool([{ value: "k1", limits: { requests: 60 } }]);
    const times: number[] = [];
    const start = clock.now();
    const all = Array.from({ length: 5 }, () =>
      acquire().then((lease) => {
        ok(lease);
        times.push(clock.now() - start);
      }),
    );
    await clock.runAll();
    await Promise.all(all);
    expect(times[0]).toBe(0);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(1_000);
    }
  });

  it("goes round-robin over the keys", async () => {
    const { acquire, ok } = pool([{ value: "k1" }, { value: "k2" }, { value: "k3" }]);
    const used: string[] = [];
    for (let i = 0; i < 9; i++) {
      const lease = await acquire();
      used.push(lease.key.fingerprint);
      ok(lease);
    }
    const [a, b, c] = [fp("k1"), fp("k2"), fp("k3")];
    expect(used).toEqual([a, b, c, a, b, c, a, b, c]);
  });

  it("with least-busy, gives the next request to the key with the fewest in flight", async () => {
    const { acquire, ok } = pool([{ value: "k1" }, { value: "k2" }, { value: "k3" }], "least-busy");
    for (const lease of await Promise.all([acquire(), acquire(), acquire()])) ok(lease); // each has worked
    const first = await Promise.all([acquire(), acquire(), acquire()]);
    expect(new Set(first.map((l) => l.key.fingerprint)).size).toBe(3);
    const k2 = first.find((l) => l.key.fingerprint === fp("k2")) as Lease;
    ok(k2);
    expect((await acquire()).key.fingerprint).toBe(fp("k2"));
    // All busy alike again: the work keeps spreading over all three.
    const more = await Promise.all(Array.from({ length: 6 }, () => acquire()));
    const counts = new Map<string, number>();
    for (const lease of more) counts.set(lease.key.fingerprint, (counts.get(lease.key.fingerprint) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([2, 2, 2]);
  });

  it("with weighted, gives each key a share of the requests that follows its weight", async () => {
    const { acquire, ok } = pool(
      [
        { value: "k1", weight: 2 },
        { value: "k2", weight: 1 },
        { value: "k3", weight: 1 },
      ],
      "weighted",
    );
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const lease = await acquire();
      counts.set(lease.key.fingerprint, (counts.get(lease.key.fingerprint) ?? 0) + 1);
      ok(lease);
    }
    expect(Math.abs((counts.get(fp("k1")) ?? 0) / 400 - 0.5)).toBeLessThanOrEqual(0.03);
    expect(Math.abs((counts.get(fp("k2")) ?? 0) / 400 - 0.25)).toBeLessThanOrEqual(0.03);
    expect(Math.abs((counts.get(fp("k3")) ?? 0) / 400 - 0.25)).toBeLessThanOrEqual(0.03);
  });

  it("makes keys that share a scope share its limit", async () => {
    const shared = pool([
      { value: "k1", scope: "team", limits: { requests: 60 } },
      { value: "k2", scope: "team", limits: { requests: 60 } },
    ]);
    expect(shared.keys[0]?.scope).toBe(shared.keys[1]?.scope);
    await shared.acquire();
    const order = resolutionOrder([["second", shared.acquire()]]);
    await shared.clock.advance(999);
    expect(order).toEqual([]); // k2 is idle, but its scope has spent this second's share
    await shared.clock.advance(100);
    expect(order).toEqual(["second"]);
    expect(shared.events.filter((e) => e.type === "scope_limits")).toEqual([
      { type: "scope_limits", scope: "openai:team", rpm: 60, tpm: null },
    ]);

    const separate = pool([
      { value: "k1", limits: { requests: 60 } },
      { value: "k2", limits: { requests: 60 } },
    ]);
    const both = await Promise.all([separate.acquire(), separate.acquire()]);
    expect(both.map((l) => l.key.fingerprint)).toEqual([fp("k1"), fp("k2")]);
  });

  it("cools a key's scope for the retry-after of a 429 and reports it", async () => {
    const { acquire, pool: keyPool, clock, events } = pool([{ value: "k1" }]);
    const lease = await acquire();
    keyPool.failed(lease, { type: "rate_limited", message: "slow down", retryAfterMs: 2_000 });
    expect(events).toContainEqual({
      type: "rate_limited",
      key: fp("k1"),
      scope: `openai:${fp("k1")}`,
      retryAfterMs: 2_000,
    });
    expect(events).toContainEqual(expect.objectContaining({ type: "key_state", state: "cooling" }));
    const start = clock.now();
    let at: number | undefined;
    const next = acquire().then(() => {
      at = clock.now() - start;
    });
    await clock.advance(1_999);
    expect(at).toBeUndefined();
    await clock.advance(1);
    await next;
    expect(at).toBe(2_000);
  });

  it("while one key cools down, sends on the others", async () => {
    const { acquire, pool: keyPool, ok } = pool([{ value: "k1" }, { value: "k2" }]);
    const lease = await acquire();
    expect(lease.key.fingerprint).toBe(fp("k1"));
    keyPool.failed(lease, { type: "rate_limited", message: "slow down", retryAfterMs: 60_000 });
    for (let i = 0; i < 4; i++) {
      const other = await acquire();
      expect(other.key.fingerprint).toBe(fp("k2"));
      ok(other);
    }
  });

  it.each([
    ["auth", 401, "rejected (bad key)"],
    ["auth", 403, "rejected (bad key)"],
    ["quota_exhausted", 429, "quota exhausted"],
  ])(
    "disables a key refused (%s %s) for two different items, with one key_disabled event, and goes on with the others",
    async (type, status, reason) => {
      const { acquire, pool: keyPool, events, ok } = pool([{ value: "k1" }, { value: "k2" }]);
      const [first, good] = await Promise.all([acquire(), acquire()]); // k1, k2
      expect(first?.key.fingerprint).toBe(fp("k1"));
      ok(good as Lease);
      keyPool.failed(first as Lease, { type, message: "bad key", status });
      expect(events.filter((e) => e.type === "key_disabled")).toEqual([]);
      const second = await acquire();
      expect(second.key.fingerprint).toBe(fp("k1"));
      keyPool.failed(second, { type, message: "bad key", status });
      expect(events.filter((e) => e.type === "key_disabled")).toEqual([
        { type: "key_disabled", key: fp("k1"), provider: "openai", reason },
      ]);
      expect(keyPool.usable("openai").map((k) => k.fingerprint)).toEqual([fp("k2")]);
      for (let i = 0; i < 4; i++) {
        const lease = await acquire();
        expect(lease.key.fingerprint).toBe(fp("k2"));
        ok(lease);
      }
    },
  );

  it("lends a key not heard from yet one request at a time until it has worked (a slow start)", async () => {
    const { acquire, pool: keyPool, ok } = pool([{ value: "k1" }, { value: "k2" }]);
    const [first, second] = await Promise.all([acquire(), acquire()]);
    const third = acquire();
    const order = resolutionOrder([["third", third]]);
    await settle();
    expect(order).toEqual([]); // each key has its one request out
    keyPool.failed(first as Lease, { type: "server", message: "500" });
    // Answered, k1 takes the next one; a 500 does not show the key works, so one at a time still.
    expect((await third).key.fingerprint).toBe(fp("k1"));
    const fourth = acquire();
    const later = resolutionOrder([["fourth", fourth]]);
    await settle();
    expect(later).toEqual([]);
    ok(second as Lease);
    expect((await fourth).key.fingerprint).toBe(fp("k2"));
    // k2 has worked: it takes as many as come while k1 is still out.
    const more = await Promise.all([acquire(), acquire(), acquire()]);
    expect(more.map((l) => l.key.fingerprint)).toEqual([fp("k2"), fp("k2"), fp("k2")]);
  });

  it("gives a key the turns its slow start cost it: round-robin shares stay even", async () => {
    const { acquire, ok } = pool([{ value: "k1" }, { value: "k2" }]);
    const counts = new Map<string, number>();
    const count = (lease: Lease) =>
      counts.set(lease.key.fingerprint, (counts.get(lease.key.fingerprint) ?? 0) + 1);
    const [first, second] = await Promise.all([acquire(), acquire()]);
    for (const lease of [first, second] as Lease[]) count(lease);
    ok(first as Lease); // k1 answers first; k2's first answer takes longer
    const early = await Promise.all(Array.from({ length: 6 }, () => acquire()));
    expect(early.every((l) => l.key.fingerprint === fp("k1"))).toBe(true);
    for (const lease of early) count(lease);
    ok(second as Lease);
    for (const lease of early) ok(lease);
    for (let i = 0; i < 12; i++) {
      const lease = await acquire();
      count(lease);
      ok(lease);
    }
    expect(Object.fromEntries(counts)).toEqual({ [fp("k1")]: 10, [fp("k2")]: 10 });
  });

  it("costs a dead key two requests however many wait, beside a good one", async () => {
    const { acquire, pool: keyPool, keys } = pool([{ value: "dead" }, { value: "good" }]);
    const dead = keys[0];
    let refused = 0;
    const all = Array.from({ length: 20 }, () =>
      acquire().then(function serve(lease): Promise<void> | undefined {
        if (lease.key === dead) {
          refused++;
          keyPool.failed(lease, { type: "quota_exhausted", message: "no credit", status: 429 });
          return acquire().then(serve); // the item goes again
        }
        keyPool.succeeded(lease, lease.admission.charge, undefined);
        return undefined;
      }),
    );
    await Promise.all(all);
    expect(refused).toBe(2);
    expect(dead?.health.state).toBe("disabled");
  });

  it("is not disabled by one item refused again and again, nor by refusals with a success between", async () => {
    const { acquire, pool: keyPool, ok, events } = pool([{ value: "k1" }]);
    const refuse = (lease: Lease) => keyPool.failed(lease, { type: "auth", message: "denied", status: 401 });
    // An item's every attempt is named by its id.
    for (let i = 0; i < 3; i++) refuse(await acquire(charge(), undefined, "row"));
    ok(await acquire());
    refuse(await acquire());
    ok(await acquire());
    refuse(await acquire());
    expect(events.filter((e) => e.type === "key_disabled")).toEqual([]);
    expect(keyPool.usable("openai")).toHaveLength(1);
  });

  it("lends an item another key than those that refused it, while there is one", async () => {
    const { acquire, pool: keyPool, ok } = pool([{ value: "k1" }, { value: "k2" }, { value: "k3" }]);
    for (const lease of await Promise.all([acquire(), acquire(), acquire()])) ok(lease); // each has worked
    const refusedBy: string[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await acquire(charge(), undefined, "row");
      refusedBy.push(lease.key.fingerprint);
      keyPool.failed(lease, { type: "auth", message: "no access", status: 403 });
    }
    expect(new Set(refusedBy.slice(0, 3)).size).toBe(3);
  });

  it("once a key has worked, takes a 403 as the row's or its model's, never the key's", async () => {
    const { acquire, pool: keyPool, ok, events } = pool([{ value: "k1" }]);
    ok(await acquire());
    for (let i = 0; i < 5; i++) {
      keyPool.failed(await acquire(), { type: "auth", message: "no access to gpt-4o", status: 403 });
    }
    expect(events.filter((e) => e.type === "key_disabled")).toEqual([]);
    // It was never put back on one request at a time either.
    const many = await Promise.all([acquire(), acquire(), acquire()]);
    expect(many).toHaveLength(3);
    // A 401 still counts: the key was revoked while the run went on.
    for (const lease of many) keyPool.failed(lease, { type: "auth", message: "revoked", status: 401 });
    expect(events.filter((e) => e.type === "key_disabled")).toHaveLength(1);
  });

  it("does not disable a key for a failure that is not the key's fault", async () => {
    const { acquire, pool: keyPool, events } = pool([{ value: "k1" }]);
    for (const type of ["server", "timeout", "bad_request", "connection"]) {
      keyPool.failed(await acquire(), { type, message: type });
    }
    expect(events.filter((e) => e.type === "key_disabled")).toEqual([]);
    expect(keyPool.usable("openai")).toHaveLength(1);
  });

  it("rejects every waiter with NoUsableKeyError naming the keys by fingerprint once all are disabled", async () => {
    const secrets = ["sk-secret-one-0123456789", "sk-secret-two-0123456789"];
    const {
      acquire,
      pool: keyPool,
      clock,
    } = pool(secrets.map((value) => ({ value, limits: { requests: 60 } })));
    const refuse = (lease: Lease) =>
      lease.key.fingerprint === fp(secrets[0] as string)
        ? keyPool.failed(lease, { type: "auth", message: "Incorrect API key provided", status: 401 })
        : keyPool.failed(lease, { type: "quota_exhausted", message: "You exceeded your quota", status: 429 });
    const leases = await Promise.all([acquire(), acquire()]);
    const waiting = [acquire(), acquire(), acquire(), acquire(), acquire()];
    const outcomes = waiting.map((p) =>
      p.then(
        (lease) => {
          refuse(lease); // the second refusal of each key, from another item
          return undefined;
        },
        (error: unknown) => error,
      ),
    );
    for (const lease of leases) refuse(lease as Lease);
    await clock.runAll();
    const errors = (await Promise.all(outcomes)).filter((error) => error !== undefined);
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error).toBeInstanceOf(NoUsableKeyError);
      const { message, exitCode } = error as NoUsableKeyError;
      expect(exitCode).toBe(3);
      for (const secret of secrets) {
        expect(message).toContain(fp(secret));
        expect(message).not.toContain(secret);
      }
      expect(message).toMatch(/quota exhausted/);
    }
    // A request that comes later is refused at once.
    await expect(acquire()).rejects.toBeInstanceOf(NoUsableKeyError);
  });

  it("takes an aborted waiter out of the line, and the ones behind it move up", async () => {
    const { acquire, clock, keys, ok } = pool([{ value: "k1", limits: { requests: 60 } }]);
    ok(await acquire());
    const leaving = new AbortController();
    const aborted = acquire(charge(), leaving.signal);
    const order = resolutionOrder([
      ["aborted", aborted],
      ["behind", acquire()],
    ]);
    await settle();
    leaving.abort(new Error("item cancelled"));
    await expect(aborted).rejects.toThrow("item cancelled");
    await clock.runAll();
    expect(order).toEqual(["aborted:rejected", "behind"]);
    expect(keys[0]?.health.requests).toBe(2);
  });

  it("leaves no timer behind when its only waiter gives up", async () => {
    const { acquire, clock, ok } = pool([{ value: "k1", limits: { requests: 60 } }]);
    ok(await acquire());
    const leaving = new AbortController();
    const waiter = acquire(charge(), leaving.signal).catch(() => "gone");
    await settle();
    expect(clock.sleeping).toBe(1);
    leaving.abort();
    expect(await waiter).toBe("gone");
    await settle();
    expect(clock.sleeping).toBe(0);
  });

  it("refuses at once a waiter whose signal is already aborted", async () => {
    const { acquire, keys } = pool([{ value: "k1" }]);
    const done = new AbortController();
    done.abort(new Error("stopping"));
    await expect(acquire(charge(), done.signal)).rejects.toThrow("stopping");
    expect(keys[0]?.health.requests).toBe(0);
  });
});
