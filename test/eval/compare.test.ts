import { describe, expect, it } from "vitest";
import { mcnemarExactP } from "../../src/eval/compare/mcnemar.js";

describe("the exact McNemar test, against hand-computed values", () => {
  it("two-sided p = 2·P(X ≤ min(b, c)), X ~ Binomial(b + c, ½)", () => {
    expect(mcnemarExactP(6, 0)).toBeCloseTo(2 / 64, 12); // 2·(½)^6 = 0.03125: significant
    expect(mcnemarExactP(5, 0)).toBeCloseTo(2 / 32, 12); // 0.0625: not
    expect(mcnemarExactP(7, 1)).toBeCloseTo((2 * (1 + 8)) / 256, 12); // 0.0703
    expect(mcnemarExactP(1, 7)).toBeCloseTo((2 * (1 + 8)) / 256, 12);
    expect(mcnemarExactP(3, 3)).toBe(1);
    expect(mcnemarExactP(0, 0)).toBe(1);
    // Large counts stay finite: 60 of 100 flips one way.
    expect(mcnemarExactP(60, 40)).toBeCloseTo(0.05689, 4);
  });
});
