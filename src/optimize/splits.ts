import { UsageError } from "../core/errors.js";
import { seededShuffle } from "./seeded-random.js";

/** Fractions of the dataset for train (feeds the proposer), val (selects) and test (sealed). */
export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export const DEFAULT_SPLIT: SplitFractions = { train: 0.4, val: 0.3, test: 0.3 };

/** Row indexes of each split, each in dataset order. */
export interface Splits {
  train: number[];
  val: number[];
  test: number[];
}

/** `--split 0.4,0.3,0.3` (or the three flags) checked: positive, summing to 1. */
export function splitFractions(
  text: string | undefined,
  flags: { [K in keyof SplitFractions]?: number | undefined },
): SplitFractions {
  let fractions = DEFAULT_SPLIT;
  if (text !== undefined) {
    const parts = text.split(",").map((part) => Number(part.trim()));
    if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) {
      throw new UsageError(`--split ${text}: expected three fractions train,val,test (e.g. 0.4,0.3,0.3)`);
    }
    fractions = { train: parts[0] as number, val: parts[1] as number, test: parts[2] as number };
  }
  fractions = { ...fractions, ...definedOnly(flags) };
  for (const [name, value] of Object.entries(fractions)) {
    if (!(value > 0 && value < 1))
      throw new UsageError(`--${name} must be a fraction between 0 and 1, got ${value}`);
  }
  const sum = fractions.train + fractions.val + fractions.test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new UsageError(
      `the split fractions must add up to 1, got ${fractions.train}+${fractions.val}+${fractions.test}`,
    );
  }
  return fractions;
}

/**
 * A seeded shuffle of the rows cut into train, val and test; with `strata` (a field's value per
 * row) each stratum is cut in the same proportions, so every split has its share of each class.
 * Every split gets at least one row; fewer than three rows is refused.
 */
export function splitRows(
  ids: readonly string[],
  fractions: SplitFractions,
  seed: number,
  strata?: readonly string[],
): Splits {
  if (ids.length < 3)
    throw new UsageError(
      `optimize needs at least 3 rows to split into train, val and test; the dataset has ${ids.length}`,
    );
  const groups = new Map<string, number[]>();
  ids.forEach((_, index) => {
    const stratum = strata?.[index] ?? "";
    groups.set(stratum, [...(groups.get(stratum) ?? []), index]);
  });
  const splits: Splits = { train: [], val: [], test: [] };
  // Remainders are dealt in one seeded order across strata, so small strata do not all round the same way.
  const leftovers: number[] = [];
  for (const [stratum, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const order = seededShuffle(members, (i) => ids[i] as string, seed, "split", stratum);
    const train = Math.floor(order.length * fractions.train);
    const val = Math.floor(order.length * fractions.val);
    const test = Math.floor(order.length * fractions.test);
    splits.train.push(...order.slice(0, train));
    splits.val.push(...order.slice(train, train + val));
    splits.test.push(...order.slice(train + val, train + val + test));
    leftovers.push(...order.slice(train + val + test));
  }
  for (const index of seededShuffle(leftovers, (i) => ids[i] as string, seed, "split-leftover")) {
    // Each leftover goes to the split furthest below its share.
    const total = splits.train.length + splits.val.length + splits.test.length + 1;
    const need = (["test", "val", "train"] as const).map((name) => ({
      name,
      gap: fractions[name] * total - splits[name].length,
    }));
    need.sort((a, b) => b.gap - a.gap);
    splits[(need[0] as { name: keyof Splits }).name].push(index);
  }
  for (const name of ["train", "val", "test"] as const) {
    if (splits[name].length === 0) {
      // Take one row from the largest split.
      const largest = (["train", "val", "test"] as const).reduce((a, b) =>
        splits[a].length >= splits[b].length ? a : b,
      );
      splits[name].push(splits[largest].pop() as number);
    }
    splits[name].sort((a, b) => a - b);
  }
  return splits;
}

function definedOnly(flags: { [K in keyof SplitFractions]?: number | undefined }): Partial<SplitFractions> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}
