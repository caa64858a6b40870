/**
 * Every latency of a run, kept compactly (8 bytes each: a million results take 8 MB) so that
 * percentiles are exact, not estimated.
 */
export class LatencySample {
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
    if (this.size === 0) return null;
    if (!this.sorted) {
      this.values.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const rank = Math.min(this.size, Math.max(1, Math.ceil((p / 100) * this.size)));
    return this.values[rank - 1] ?? null;
  }
}
