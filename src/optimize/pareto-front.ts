import { draw } from "./seeded-random.js";

/** A candidate's score on each instance of val (an instance is a val row × a task model). */
export interface InstanceScores {
  id: number;
  scores: readonly number[];
}

/**
 * GEPA's per-instance Pareto front: for each instance, the candidates with its best score; those
 * dominated by another candidate (as good everywhere, better somewhere) are left out. Returns each
 * remaining candidate's id with the number of instances it is best on, in id order.
 */
export function paretoFront(candidates: readonly InstanceScores[]): { id: number; wins: number }[] {
  if (candidates.length === 0) return [];
  const size = candidates[0]?.scores.length ?? 0;
  const wins = new Map<number, number>();
  for (let i = 0; i < size; i++) {
    const best = Math.max(...candidates.map((c) => c.scores[i] ?? 0));
    for (const c of candidates) if ((c.scores[i] ?? 0) === best) wins.set(c.id, (wins.get(c.id) ?? 0) + 1);
  }
  const onFront = candidates.filter((c) => wins.has(c.id));
  const kept = onFront.filter((c) => !onFront.some((other) => other.id !== c.id && dominates(other, c)));
  // Two candidates with equal scores everywhere dominate neither: the older one stands for both.
  const unique = kept.filter(
    (c) => !kept.some((other) => other.id < c.id && other.scores.every((s, i) => s === c.scores[i])),
  );
  return unique.map((c) => ({ id: c.id, wins: wins.get(c.id) ?? 0 })).sort((a, b) => a.id - b.id);
}

function dominates(a: InstanceScores, b: InstanceScores): boolean {
  let better = false;
  for (let i = 0; i < a.scores.length; i++) {
    const x = a.scores[i] ?? 0;
    const y = b.scores[i] ?? 0;
    if (x < y) return false;
    if (x > y) better = true;
  }
  return better;
}

/** A parent from the front, drawn with weight = instances won (GEPA's rule), by the seed and step. */
export function pickParent(
  front: readonly { id: number; wins: number }[],
  seed: number,
  step: number,
): number {
  const total = front.reduce((sum, f) => sum + f.wins, 0);
  if (total === 0) return front[0]?.id ?? 0;
  let at = draw(seed, "parent", step) * total;
  for (const f of front) {
    at -= f.wins;
    if (at < 0) return f.id;
  }
  return (front.at(-1) as { id: number }).id;
}
