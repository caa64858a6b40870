/** A bounded, uniform sample of the run's latencies (reservoir sampling). */
export interface LatencySample {
  values: readonly number[];
  /** How many latencies were offered in all. */
  seen: number;
}

export const LATENCY_SAMPLE_SIZE = 512;

/** Algorithm R with a deterministic stand-in for randomness, so the reducer using it stays pure. */
export function sampleLatency(sample: LatencySample, latencyMs: number): LatencySample {
  const seen = sample.seen + 1;
  if (sample.values.length < LATENCY_SAMPLE_SIZE) return { values: [...sample.values, latencyMs], seen };
  const slot = Math.floor(unitHash(seen) * seen);
  if (slot >= LATENCY_SAMPLE_SIZE) return { values: sample.values, seen };
  const values = sample.values.slice();
  values[slot] = latencyMs;
  return { values, seen };
}

/** Nearest-rank percentiles of `values`; undefined for an empty list. */
export function percentiles(values: readonly number[], ranks: readonly number[]): (number | undefined)[] {
  if (values.length === 0) return ranks.map(() => undefined);
  const sorted = values.slice().sort((a, b) => a - b);
  return ranks.map(
    (rank) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(rank * sorted.length) - 1))],
  );
}

/** A number in [0, 1) that looks random and depends only on `n` (mulberry32's mixing). */
function unitHash(n: number): number {
  let t = (n * 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
