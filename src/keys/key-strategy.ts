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

/** Smooth weighted round-robin (as nginx does it): each key's share follows its weight, evenly spread. */
function weighted(): KeyOrder {
  const current = new Map<PoolKey, number>();
  return {
    candidates: (keys) => {
      for (const key of keys) current.set(key, (current.get(key) ?? 0) + key.weight);
      return [...keys].sort((a, b) => (current.get(b) ?? 0) - (current.get(a) ?? 0));
    },
    chosen: (key, keys) => {
      const total = keys.reduce((sum, k) => sum + k.weight, 0);
      current.set(key, (current.get(key) ?? 0) - total);
    },
  };
}
