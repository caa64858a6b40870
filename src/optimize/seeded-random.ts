import { createHash } from "node:crypto";

/**
 * The optimization's randomness: every draw is a hash of the seed and the names of the choice
 * (`split`, `minibatch`, the step), never a generator advanced in the order answers arrive — so a
 * resumed or more concurrent run makes the same choices.
 */
export function draw(seed: number, ...names: readonly (string | number)[]): number {
  const hash = createHash("sha256").update(`metasync-optimize\u0000${seed}`);
  for (const name of names) hash.update(`\u0000${name}`);
  return hash.digest().readUInt32BE(0) / 4294967296;
}

/** `items` in an order that depends only on the seed, the names and each item's own key. */
export function seededShuffle<T>(
  items: readonly T[],
  key: (item: T) => string,
  seed: number,
  ...names: readonly (string | number)[]
): T[] {
  return items
    .map((item) => ({ item, rank: draw(seed, ...names, key(item)), key: key(item) }))
    .sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.item);
}

/** `count` of `items` chosen by the seed and the names, in the order the items had. */
export function seededSample<T>(
  items: readonly T[],
  count: number,
  key: (item: T) => string,
  seed: number,
  ...names: readonly (string | number)[]
): T[] {
  const chosen = new Set(seededShuffle(items, key, seed, ...names).slice(0, count));
  return items.filter((item) => chosen.has(item));
}
