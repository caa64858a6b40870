import { describe, expect, it } from "vitest";
import { aggregate } from "../../src/optimize/aggregate-score.js";
import { paretoFront, pickParent } from "../../src/optimize/pareto-front.js";

describe("paretoFront", () => {
  it("keeps each instance's best candidates and drops the dominated", () => {
    const front = paretoFront([
      { id: 0, scores: [1, 0, 0, 0] },
      { id: 1, scores: [0, 1, 1, 0] },
      { id: 2, scores: [0, 1, 0, 0] }, // dominated by 1
      { id: 3, scores: [0, 0, 0, 1] },
    ]);
    expect(front).toEqual([
      { id: 0, wins: 1 },
      { id: 1, wins: 2 },
      { id: 3, wins: 1 },
    ]);
  });

  it("keeps the older of two candidates with the same scores everywhere", () => {
    expect(
      paretoFront([
        { id: 4, scores: [1, 1] },
        { id: 2, scores: [1, 1] },
      ]),
    ).toEqual([{ id: 2, wins: 2 }]);
  });
});

describe("pickParent", () => {
  it("draws from the front by instances won, the same for the same seed and step", () => {
    const front = [
      { id: 0, wins: 1 },
      { id: 5, wins: 9 },
    ];
    const picks = Array.from({ length: 200 }, (_, step) => pickParent(front, 11, step));
    expect(picks.every((id) => id === 0 || id === 5)).toBe(true);
    expect(picks.filter((id) => id === 5).length).toBeGreaterThan(150);
    expect(pickParent(front, 11, 3)).toBe(pickParent(front, 11, 3));
  });
});

describe("aggregate (--across)", () => {
  it("is the mean of the models' means, or the worst model's, and fills unscored instances", () => {
    const models = [0, 1, 0, 1];
    expect(aggregate([1, 0, 1, 0.5], models, 2, "mean")).toBeCloseTo(0.625);
    expect(aggregate([1, 0, 1, 0.5], models, 2, "min")).toBeCloseTo(0.25);
    expect(aggregate([1, undefined, undefined, 0], models, 2, "mean", 1)).toBeCloseTo(0.75);
  });
});
