import { describe, expect, it } from "vitest";
import { WindowBudget } from "../../src/limits/window-budget.js";

/** Admits each amount as soon as the budget allows, in virtual time; returns when each went. */
function drive(budget: WindowBudget, amounts: readonly number[], start = 0): number[] {
  let now = start;
  const times: number[] = [];
  for (const amount of amounts) {
    for (let tries = 0; ; tries++) {
      if (tries > 1_000) throw new Error(`amount ${amount} never admitted (stuck at ${now})`);
      const wait = budget.waitMs(amount, now);
      expect(wait).toBeGreaterThanOrEqual(0);
      if (wait === 0) break;
      now += wait;
    }
    budget.record(amount, now);
    times.push(now);
  }
  return times;
}

/** The most spent in any window of `windowMs` (half-open, as providers meter: (t - windowMs, t]). */
function busiestWindow(times: readonly number[], amounts: readonly number[], windowMs: number): number {
  let most = 0;
  for (const end of times) {
    let sum = 0;
    for (const [j, at] of times.entries()) {
      if (at > end - windowMs && at <= end) sum += amounts[j] ?? 0;
    }
    if (sum > most) most = sum;
  }
  return most;
}

/** A deterministic pseudo-random sequence in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("WindowBudget", () => {
  it("never lets more than the per-second share of a per-minute limit into any one-second window", () => {
    const budget = new WindowBudget(600); // 10 a second
    const amounts = Array.from({ length: 200 }, () => 1);
    const times = drive(budget, amounts);
    expect(busiestWindow(times, amounts, 1_000)).toBeLessThanOrEqual(10);
    // …and no faster than the limit over the whole run either.
    const minutes = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 60_000;
    expect((times.length - 1) / minutes).toBeLessThanOrEqual(600);
    // Not much slower than it either: the safety margin is a few percent.
    expect((times.length - 1) / minutes).toBeGreaterThan(570);
  });

  it("uses nearly all of a limit of a few requests a second (2 a second at 120 a minute, not 1)", () => {
    for (const rpm of [120, 180, 300]) {
      const budget = new WindowBudget(rpm);
      const amounts = Array.from({ length: 60 }, () => 1);
      const times = drive(budget, amounts);
      expect(busiestWindow(times, amounts, 1_000)).toBeLessThanOrEqual(rpm / 60);
      const perMinute = (times.length - 1) / (((times.at(-1) ?? 0) - (times[0] ?? 0)) / 60_000);
      expect(perMinute, `--rpm ${rpm}`).toBeLessThanOrEqual(rpm);
      expect(perMinute, `--rpm ${rpm}`).toBeGreaterThan(rpm * 0.93);
    }
  });

  it("keeps tokens of requests of different sizes under the per-second share", () => {
    const budget = new WindowBudget(60_000); // 1000 tokens a second
    const random = seeded(7);
    const amounts = Array.from({ length: 300 }, () => 20 + Math.floor(random() * 400));
    const times = drive(budget, amounts);
    expect(busiestWindow(times, amounts, 1_000)).toBeLessThanOrEqual(1_000);
    const total = amounts.reduce((a, b) => a + b, 0);
    const seconds = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1_000;
    expect(total - (amounts.at(-1) ?? 0)).toBeLessThanOrEqual(seconds * 1_000 + 1_000);
  });

  it("spreads admissions evenly instead of bunching them at window boundaries", () => {
    const budget = new WindowBudget(600); // one every 100 ms on average
    const amounts = Array.from({ length: 70 }, () => 1);
    const paced = drive(budget, amounts, 5_000).slice(10); // after the opening second's share
    const gaps = paced.slice(1).map((t, i) => t - (paced[i] ?? 0));
    // A fixed one-second window would let ~10 go at once, then nothing for the rest of the second.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(200);
    expect(busiestWindow(paced, amounts, 250)).toBeLessThanOrEqual(3);
  });

  it("opens an idle budget with one window's share at once, then paces from the end of that window", () => {
    const budget = new WindowBudget(600); // 10 a second
    const times = drive(
      budget,
      Array.from({ length: 13 }, () => 1),
      5_000,
    );
    expect(times.slice(0, 10)).toEqual(Array(10).fill(5_000));
    expect(times[10]).toBeGreaterThanOrEqual(6_000);
    expect((times[12] ?? 0) - (times[11] ?? 0)).toBeGreaterThanOrEqual(90);
  });

  it("opens again only after a whole idle window, not after a pause in the pacing", () => {
    const budget = new WindowBudget(600);
    const first = drive(
      budget,
      Array.from({ length: 15 }, () => 1),
      0,
    );
    const last = first.at(-1) ?? 0;
    // A pause shorter than the window: the schedule goes on, one at a time.
    expect(budget.waitMs(1, last + 500)).toBe(0);
    budget.record(1, last + 500);
    expect(budget.waitMs(1, last + 500)).toBeGreaterThan(0);
    // A whole window with nothing in it: the provider has seen nothing lately, the budget opens.
    const idle = last + 3_000;
    expect(
      drive(
        budget,
        Array.from({ length: 10 }, () => 1),
        idle,
      ),
    ).toEqual(Array(10).fill(idle));
  });

  it("admits a request larger than the whole window alone once the window is empty (no deadlock)", () => {
    const budget = new WindowBudget(6_000); // ~97 tokens a second
    expect(budget.waitMs(5_000, 0)).toBe(0);

    const busy = new WindowBudget(6_000);
    busy.record(10, 0);
    const wait = busy.waitMs(5_000, 0);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1_000);
    expect(busy.waitMs(5_000, wait)).toBe(0);
    busy.record(5_000, wait);
    // It went alone: even a small request now waits for it to leave the window.
    expect(busy.waitMs(1, wait)).toBeGreaterThan(0);
    expect(busy.waitMs(1, wait + 999)).toBeGreaterThan(0);
  });

  it("reconciles a charge in place: a smaller settled charge frees the window, a larger one fills it", () => {
    const lower = new WindowBudget(6_000); // ~97 tokens a second
    const spend = lower.record(90, 0);
    const before = lower.waitMs(50, 1);
    expect(before).toBeGreaterThanOrEqual(900); // 90 + 50 does not fit until the 90 leaves
    lower.adjust(spend, 20, 1);
    expect(lower.waitMs(50, 1)).toBeLessThan(300); // 20 + 50 fits; only the even schedule holds it

    const higher = new WindowBudget(6_000);
    const small = higher.record(20, 0);
    expect(higher.waitMs(50, 1)).toBeLessThan(300);
    higher.adjust(small, 90, 1);
    expect(higher.waitMs(50, 1)).toBeGreaterThanOrEqual(900);
  });

  it("keeps a corrected charge at the time it was made, not the time it was corrected", () => {
    const budget = new WindowBudget(6_000);
    const spend = budget.record(60, 0);
    budget.adjust(spend, 90, 900);
    // The 90 leaves the window one second after it was charged (t=1000), not at t=1900.
    expect(budget.waitMs(50, 900)).toBe(100);
    expect(budget.waitMs(50, 1_000)).toBe(0);
  });

  it("follows a new limit at once", () => {
    const budget = new WindowBudget(6_000); // ~97 tokens a second
    budget.record(50, 0);
    expect(budget.waitMs(500, 1)).toBeGreaterThanOrEqual(900);
    budget.setLimit(60_000); // ~970 tokens a second: 50 + 500 fits
    expect(budget.waitMs(500, 1)).toBeLessThan(900);
    budget.setLimit(600);
    expect(budget.waitMs(5, 1)).toBeGreaterThanOrEqual(900);
  });
});

describe("WindowBudget with a ceiling (a limit the user gave)", () => {
  it("holds bursts to the ceiling over every sliding minute, and lets the next go once the first leaves", () => {
    const budget = new WindowBudget(6_000); // the provider's limit paces
    budget.setCeiling(600); // the user's
    for (let i = 0; i < 600; i++) {
      expect(budget.ceilingWaitMs(1, i)).toBe(0);
      budget.record(1, i, false); // bursts: the pacing does not hold them back
    }
    expect(budget.ceilingWaitMs(1, 1_000)).toBe(59_000);
    // Paced requests wait for it too.
    expect(budget.waitMs(1, 1_000)).toBe(59_000);
    expect(budget.ceilingWaitMs(1, 60_000)).toBe(0);
  });

  it("counts the usage the provider settled, not the estimate, against the ceiling", () => {
    const budget = new WindowBudget(600_000);
    budget.setCeiling(1_000);
    const spend = budget.record(900, 0, false);
    expect(budget.ceilingWaitMs(200, 10_000)).toBe(50_000);
    budget.adjust(spend, 500, 10_000); // long out of the one-second window, still in the minute
    expect(budget.ceilingWaitMs(200, 10_000)).toBe(0);
  });

  it("still admits a request bigger than the ceiling, alone, into an empty minute", () => {
    const budget = new WindowBudget(100);
    budget.setCeiling(100);
    expect(budget.ceilingWaitMs(500, 0)).toBe(0);
    budget.record(500, 0);
    expect(budget.ceilingWaitMs(1, 30_000)).toBe(30_000);
    expect(budget.ceilingWaitMs(500, 60_000)).toBe(0);
  });
});
