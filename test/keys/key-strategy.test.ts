import { describe, expect, it } from "vitest";
import { keyOrder, STRATEGIES } from "../../src/keys/key-strategy.js";
import { newHealth, type PoolKey } from "../../src/keys/pool-key.js";
import { LimitScope } from "../../src/limits/limit-scope.js";

function key(name: string, weight = 1, inFlight = 0): PoolKey {
  return {
    fingerprint: name,
    provider: "openai",
    value: undefined,
    baseUrl: undefined,
    weight,
    scope: new LimitScope(name),
    health: { ...newHealth(), inFlight },
  };
}

/** Picks `count` keys the way the pool does when every scope admits: the first candidate. */
function picks(strategy: (typeof STRATEGIES)[number], keys: PoolKey[], count: number): string[] {
  const order = keyOrder(strategy);
  const chosen: string[] = [];
  for (let i = 0; i < count; i++) {
    const first = order.candidates(keys)[0] as PoolKey;
    order.chosen(first, keys);
    chosen.push(first.fingerprint);
  }
  return chosen;
}

function shares(names: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] = (counts[name] ?? 0) / names.length;
  return counts;
}

describe("key strategies", () => {
  it("offers every key as a candidate, each once, whatever the strategy", () => {
    const keys = [key("a"), key("b", 3), key("c", 1, 4)];
    for (const strategy of STRATEGIES) {
      const candidates = keyOrder(strategy).candidates(keys);
      expect(candidates.map((k) => k.fingerprint).sort(), strategy).toEqual(["a", "b", "c"]);
    }
  });

  it("round-robin takes the keys in turn, starting after the one chosen last", () => {
    const keys = [key("a"), key("b"), key("c")];
    expect(picks("round-robin", keys, 7)).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
    // When the first candidate's scope was busy and the pool took another, the turn moves on from it.
    const order = keyOrder("round-robin");
    order.chosen(keys[1] as PoolKey, keys);
    expect(order.candidates(keys).map((k) => k.fingerprint)).toEqual(["c", "a", "b"]);
  });

  it("least-busy puts the key with the fewest requests in flight first, ties in turn", () => {
    const keys = [key("a", 1, 3), key("b", 1, 1), key("c", 1, 2)];
    expect(
      keyOrder("least-busy")
        .candidates(keys)
        .map((k) => k.fingerprint),
    ).toEqual(["b", "c", "a"]);
    const idle = [key("a"), key("b"), key("c")];
    expect(picks("least-busy", idle, 6)).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("weighted gives each key a share that follows its weight", () => {
    const keys = [key("a", 5), key("b", 3), key("c", 2)];
    const got = shares(picks("weighted", keys, 1_000));
    expect(got.a).toBeCloseTo(0.5, 2);
    expect(got.b).toBeCloseTo(0.3, 2);
    expect(got.c).toBeCloseTo(0.2, 2);
  });

  it("weighted spreads a heavy key's turns out instead of running them together", () => {
    const keys = [key("a", 2), key("b", 1)];
    const chosen = picks("weighted", keys, 30);
    expect(chosen.join("")).not.toContain("aaa");
    expect(chosen.join("")).not.toContain("bb");
  });

  it("weighted keeps the shares when a busy key is passed over for a while", () => {
    const keys = [key("a", 2), key("b", 1)];
    const order = keyOrder("weighted");
    const chosen: string[] = [];
    for (let i = 0; i < 600; i++) {
      // Every third time the pool finds no key free and asks again before choosing.
      if (i % 3 === 0) order.candidates(keys);
      const first = order.candidates(keys)[0] as PoolKey;
      order.chosen(first, keys);
      chosen.push(first.fingerprint);
    }
    const got = shares(chosen);
    expect(Math.abs((got.a ?? 0) - 2 / 3)).toBeLessThanOrEqual(0.03);
  });
});
