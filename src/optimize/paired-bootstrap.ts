import { type Across, aggregate } from "./aggregate-score.js";
import { draw } from "./seeded-random.js";

/** A figure with its 95% interval. */
export interface Interval {
  value: number;
  low: number;
  high: number;
}

/**
 * Test scores of the baseline and the winner with paired bootstrap 95% intervals (percentile, 2,000
 * resamples of the test rows, drawn from the seed: the same figures on every rerun). A row keeps
 * all of its instances (one per task model) together, so `--across min` is resampled as it is
 * computed. The gain is significant only when its whole interval is above 0.
 */
export function pairedBootstrap(
  baseline: readonly number[],
  winner: readonly number[],
  /** Each instance's row (to resample rows) and model. */
  rows: readonly number[],
  models: readonly number[],
  modelCount: number,
  across: Across,
  seed: number,
  resamples = 2000,
): { baseline: Interval; winner: Interval; gain: Interval; significant: boolean } {
  const byRow = new Map<number, number[]>();
  rows.forEach((row, i) => {
    byRow.set(row, [...(byRow.get(row) ?? []), i]);
  });
  const groups = [...byRow.values()];
  const figure = (scores: readonly number[], picked: readonly number[][]) => {
    const s: number[] = [];
    const m: number[] = [];
    for (const group of picked) {
      for (const i of group) {
        s.push(scores[i] as number);
        m.push(models[i] as number);
      }
    }
    return aggregate(s, m, modelCount, across);
  };
  const base: number[] = [];
  const win: number[] = [];
  const gain: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const picked = groups.map(
      (_, j) => groups[Math.floor(draw(seed, "bootstrap", r, j) * groups.length)] as number[],
    );
    const b = figure(baseline, picked);
    const w = figure(winner, picked);
    base.push(b);
    win.push(w);
    gain.push(w - b);
  }
  const interval = (value: number, samples: number[]): Interval => {
    samples.sort((a, b) => a - b);
    return {
      value,
      low: samples[Math.floor(0.025 * (samples.length - 1))] as number,
      high: samples[Math.ceil(0.975 * (samples.length - 1))] as number,
    };
  };
  const b = figure(baseline, groups);
  const w = figure(winner, groups);
  const g = interval(w - b, gain);
  return { baseline: interval(b, base), winner: interval(w, win), gain: g, significant: g.low > 0 };
}
