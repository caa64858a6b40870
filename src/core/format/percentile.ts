/** The percentiles the reporters and the report show (p50, p95, p99), one definition for both. */

/**
 * The nearest-rank percentile of `sorted` (ascending): the smallest value with at least `fraction`
 * (0–1) of the values at or below it; undefined when there are none.
 */
export function nearestRank(sorted: ArrayLike<number>, fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1];
}

/** Nearest-rank percentiles of `values` in any order, one for each fraction. */
export function percentiles(values: readonly number[], fractions: readonly number[]): (number | undefined)[] {
  const sorted = values.slice().sort((a, b) => a - b);
  return fractions.map((fraction) => nearestRank(sorted, fraction));
}
