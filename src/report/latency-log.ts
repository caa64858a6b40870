import { nearestRank } from "../core/format/percentile.js";

/**
 * Every latency of a run, kept compactly (8 bytes each: a million results take 8 MB) so that the
 * report's percentiles are exact, not estimated. (The live reporters keep a bounded sample instead:
 * `LatencyReservoir` in ui/.)
 */
export class LatencyLog {
  private values = new Float64Array(1024);
  private size = 0;
  private sorted = true;

  add(ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = ms;
    this.sorted = false;
  }

  get count(): number {
    return this.size;
  }

  /** The nearest-rank percentile (`p` in 0–100): the smallest value with p% of values at or below it. */
  percentile(p: number): number | null {
    const values = this.values.subarray(0, this.size);
    if (!this.sorted) {
      values.sort();
      this.sorted = true;
    }
    return nearestRank(values, p / 100) ?? null;
  }
}
