import { describe, expect, it } from "vitest";
import { splitFractions, splitRows } from "../../src/optimize/splits.js";

const ids = Array.from({ length: 100 }, (_, i) => `r${i}`);

describe("splitRows", () => {
  it("cuts every row into exactly one of train, val and test, in the given proportions", () => {
    const s = splitRows(ids, { train: 0.4, val: 0.3, test: 0.3 }, 7);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([40, 30, 30]);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(100);
  });

  it("depends on the seed only: the same seed gives the same splits, another seed others", () => {
    const fractions = { train: 0.4, val: 0.3, test: 0.3 };
    expect(splitRows(ids, fractions, 3)).toEqual(splitRows(ids, fractions, 3));
    expect(splitRows(ids, fractions, 3).test).not.toEqual(splitRows(ids, fractions, 4).test);
  });

  it("stratifies: each class is split in the same proportions", () => {
    const strata = ids.map((_, i) => (i % 4 === 0 ? "rare" : "common"));
    const s = splitRows(ids, { train: 0.4, val: 0.3, test: 0.3 }, 1, strata);
    const rare = (rows: number[]) => rows.filter((i) => strata[i] === "rare").length;
    expect(rare(s.train)).toBe(10);
    expect(rare(s.val)).toBeGreaterThanOrEqual(7);
    expect(rare(s.test)).toBeGreaterThanOrEqual(7);
  });

  it("gives every split a row even from a tiny dataset, and refuses fewer than 3 rows", () => {
    const s = splitRows(["a", "b", "c"], { train: 0.8, val: 0.1, test: 0.1 }, 0);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([1, 1, 1]);
    expect(() => splitRows(["a", "b"], { train: 0.4, val: 0.3, test: 0.3 }, 0)).toThrow(/at least 3 rows/);
  });
});

describe("splitFractions", () => {
  it("reads --split and refuses fractions that do not add up to 1", () => {
    expect(splitFractions("0.5,0.25,0.25", {})).toEqual({ train: 0.5, val: 0.25, test: 0.25 });
    expect(() => splitFractions("0.5,0.5,0.5", {})).toThrow(/add up to 1/);
    expect(() => splitFractions("0.5,0.5", {})).toThrow(/three fractions/);
  });
});
