/**
 * Edits between two names: insertions, deletions, substitutions and swaps of neighbours
 * (`mnii` → `mini` is one), the optimal-string-alignment distance. Stops counting past `limit`.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] as number) + 1);
      }
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidate nearest to `name` within `limit` edits (case differences cost nothing first), or
 * undefined. A tie goes to the candidate listed first.
 */
export function nearestName(name: string, candidates: Iterable<string>, limit: number): string | undefined {
  let found: string | undefined;
  let distance = limit + 1;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    if (candidate === name) continue;
    if (candidate.toLowerCase() === lower) return candidate;
    const d = editDistance(lower, candidate.toLowerCase(), limit);
    if (d < distance) {
      distance = d;
      found = candidate;
    }
  }
  return distance <= limit ? found : undefined;
}
