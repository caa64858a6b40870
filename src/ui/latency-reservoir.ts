/**
 * A bounded, uniform sample of the run's latencies (reservoir sampling), immutable so the progress
 * reducer stays pure and cheap per item; its percentiles are estimates. The report keeps every
 * latency instead (`LatencyLog` in report/), for exact ones.
 */
export interface LatencyReservoir {
  values: readonly number[];
  /** How many latencies were offered in all. */
  seen: number;
}

export const LATENCY_RESERVOIR_SIZE = 512;

export const emptyLatencyReservoir: LatencyReservoir = { values: [], seen: 0 };

/** Algorithm R with a deterministic stand-in for randomness, so the reducer using it stays pure. */
export function addLatency(reservoir: LatencyReservoir, latencyMs: number): LatencyReservoir {
  const seen = reservoir.seen + 1;
  if (reservoir.values.length < LATENCY_RESERVOIR_SIZE) {
    return { values: [...reservoir.values, latencyMs], seen };
  }
  const slot = Math.floor(unitHash(seen) * seen);
  if (slot >= LATENCY_RESERVOIR_SIZE) return { values: reservoir.values, seen };
  const values = reservoir.values.slice();
  values[slot] = latencyMs;
  return { values, seen };
}

/** A number in [0, 1) that looks random and depends only on `n` (mulberry32's mixing). */
function unitHash(n: number): number {
  let t = (n * 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
