import type { Labels } from "./prometheus-text.js";

/** Running totals by label set, listed in a stable order (by label values). */
export class CounterSeries {
  private readonly byLabels = new Map<string, { labels: Labels; value: number }>();

  add(labels: Labels, amount = 1): void {
    const key = JSON.stringify(labels);
    const series = this.byLabels.get(key);
    if (series) series.value += amount;
    else this.byLabels.set(key, { labels, value: amount });
  }

  /** Sets a gauge's value. */
  set(labels: Labels, value: number): void {
    this.byLabels.set(JSON.stringify(labels), { labels, value });
  }

  list(): { labels: Labels; value: number }[] {
    return sorted(this.byLabels).map(({ labels, value }) => ({ labels, value }));
  }
}

/** Observations counted into buckets by label set. */
export class HistogramSeries {
  private readonly byLabels = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(readonly bounds: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let series = this.byLabels.get(key);
    if (!series) {
      series = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.byLabels.set(key, series);
    }
    const bucket = this.bounds.findIndex((bound) => value <= bound);
    const index = bucket === -1 ? this.bounds.length : bucket;
    series.counts[index] = (series.counts[index] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  list(): { labels: Labels; counts: readonly number[]; sum: number; count: number }[] {
    return sorted(this.byLabels).map(({ labels, counts, sum, count }) => ({
      labels,
      counts: [...counts],
      sum,
      count,
    }));
  }
}

function sorted<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
}
