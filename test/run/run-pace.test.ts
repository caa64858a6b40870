import { describe, expect, it } from "vitest";
import { measurePace } from "../../src/run/run-pace.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");

/** Commit times, newest first, `count` of them `gapMs` apart, the newest `agoMs` before now. */
function times(count: number, gapMs: number, agoMs = 0): number[] {
  return Array.from({ length: count }, (_, i) => NOW - agoMs - i * gapMs);
}

describe("measurePace", () => {
  it("a steady run: its rate, and the ETA of what is pending at that rate", () => {
    const pace = measurePace(times(61, 1000), 120, NOW);
    expect(pace.itemsPerMin).toBeCloseTo(60);
    expect(pace.etaMs).toBeCloseTo(120_000, -3);
    expect(pace.results).toBe(61);
  });

  it("a run waiting out a cool-down slows as the wait goes on (the window runs until now)", () => {
    // 61 results a second apart, then 60 s without one: half the rate of the burst.
    const waiting = measurePace(times(61, 1000, 60_000), 120, NOW);
    expect(waiting.itemsPerMin).toBeCloseTo(30);
    expect(waiting.etaMs).toBeCloseTo(240_000, -3);
    expect(waiting.lastAt).toBe(NOW - 60_000);
  });

  it("no rate from fewer than two results; nothing pending is done now", () => {
    expect(measurePace([NOW - 5000], 10, NOW)).toMatchObject({ itemsPerMin: null, etaMs: null, results: 1 });
    expect(measurePace([], 10, NOW)).toMatchObject({ itemsPerMin: null, etaMs: null, lastAt: null });
    expect(measurePace(times(10, 1000), 0, NOW).etaMs).toBe(0);
  });
});
