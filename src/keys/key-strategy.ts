import type { PoolKey } from "./pool-key.js";

export const STRATEGIES = ["round-robin", "least-busy", "weighted"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Orders a provider's keys for the next request; the pool takes the first one its scope admits. */
export interface KeyOrder {
  candidates(keys: readonly PoolKey[]): PoolKey[];
  /** Called with the key that was chosen. */
  chosen(key: PoolKey, keys: readonly PoolKey[]): void;
}

export function keyOrder(strategy: Strategy): KeyOrder {
  switch (strategy) {
    case "round-robin":
      return roundRobin();
    case "least-busy":
      return leastBusy();
    case "weighted":
      return weighted();
  }
}

function roundRobin(): KeyOrder {
  let next = 0;
  return {
    candidates: (keys) => keys.map((_, i) => keys[(next + i) % keys.length] as PoolKey),
    chosen: (key, keys) => {
      next = (keys.indexOf(key) + 1) % keys.length;
    },
  };
}

function leastBusy(): KeyOrder {
  const order = roundRobin();
  return {
    // Stable sort: ties keep round-robin order, so idle keys share the work.
    candidates: (keys) => order.candidates(keys).sort((a, b) => a.health.inFlight - b.health.inFlight),
    chosen: order.chosen,
  };
}

/**
 * Smooth weighted round-robin (as nginx does it): each key's share follows its weight, evenly spread.
 * The weights are added once per key chosen, not per look: the pool asks for candidates again each
 * time it finds every scope busy, and counting those looks would hand the heaviest key every turn.
 */
function weighted(): KeyOrder {
  const current = new Map<PoolKey, number>();
  const next = (key: PoolKey) => (current.get(key) ?? 0) + key.weight;
  return {
    candidates: (keys) => [...keys].sort((a, b) => next(b) - next(a)),
    chosen: (key, keys) => {
      const total = keys.reduce((sum, k) => sum + k.weight, 0);
      for (const k of keys) current.set(k, next(k));
      current.set(key, (current.get(key) ?? 0) - total);
    },
  };
}
