import { describe, expect, it } from "vitest";
import { ExitCode, StoppedEarlyError } from "../../src/core/errors.js";
import { SpendingCap } from "../../src/engine/spending-cap.js";

describe("SpendingCap", () => {
  it("reserves worst cases until the next would cross the cap, then refuses with a resumable error", () => {
    const cap = new SpendingCap(1, 0);
    cap.reserve(0.4);
    cap.reserve(0.4);
    let refused: unknown;
    try {
      cap.reserve(0.4);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(StoppedEarlyError);
    expect((refused as StoppedEarlyError).exitCode).toBe(ExitCode.stoppedEarly);
    expect((refused as Error).message).toMatch(
      /spending cap reached: \$0\.00 spent of --max-cost \$1 \(\$0\.800 more in flight\)/,
    );
  });

  it("replaces a reservation with what the request really cost, freeing the rest", () => {
    const cap = new SpendingCap(1, 0);
    const first = cap.reserve(0.9);
    cap.settle(first, 0.1);
    expect(cap.spentUsd).toBeCloseTo(0.1);
    expect(() => cap.reserve(0.85)).not.toThrow();
  });

  it("a refused request costs nothing; spend from before the process counts", () => {
    const cap = new SpendingCap(1, 0.7);
    const reservation = cap.reserve(0.3);
    cap.settle(reservation, 0);
    expect(cap.spentUsd).toBeCloseTo(0.7);
    expect(() => cap.reserve(0.31)).toThrow(StoppedEarlyError);
  });

  it("what earlier requests still hold (a run's open provider batches) counts as in flight", () => {
    const cap = new SpendingCap(1, 0.2, 0.5);
    expect(() => cap.reserve(0.3)).not.toThrow();
    expect(() => cap.reserve(0.01)).toThrow(
      /spending cap reached: \$0\.200 spent of --max-cost \$1 \(\$0\.800 more in flight\)/,
    );
    expect(cap.spentUsd).toBeCloseTo(0.2);
  });

  it("names amounts as people write them, however small (never 7.5e-7)", () => {
    const cap = new SpendingCap(0.00000075, 0.0000005);
    expect(() => cap.reserve(0.0000008)).toThrow(
      /spending cap reached: \$0\.00000050 spent of --max-cost \$0\.00000075;/,
    );
  });
});
