/** `--across`: what "better" means with several task models. */
export type Across = "mean" | "min";

/**
 * One figure for a candidate from its per-instance scores: each model's mean over its instances,
 * then the mean (or the worst) of the models. `models[i]` is instance i's model index. Instances
 * not scored yet (undefined) count as `fill` (1 for the most a candidate could still reach, 0 for
 * the least); sums are taken in instance order, so the figure never depends on when answers came.
 */
export function aggregate(
  scores: readonly (number | undefined)[],
  models: readonly number[],
  modelCount: number,
  across: Across,
  fill = 0,
): number {
  const sums = new Array<number>(modelCount).fill(0);
  const counts = new Array<number>(modelCount).fill(0);
  scores.forEach((score, i) => {
    const m = models[i] ?? 0;
    sums[m] = (sums[m] ?? 0) + (score ?? fill);
    counts[m] = (counts[m] ?? 0) + 1;
  });
  const means = sums.map((sum, m) => ((counts[m] ?? 0) > 0 ? sum / (counts[m] as number) : fill));
  if (across === "min") return Math.min(...means);
  return means.reduce((a, b) => a + b, 0) / Math.max(1, means.length);
}
