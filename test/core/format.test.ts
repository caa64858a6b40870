import { describe, expect, it } from "vitest";
import {
  formatCompact,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  formatUsd,
  textBar,
} from "../../src/ui/format.js";

describe("formats", () => {
  it("counts with separators, rates compactly", () => {
    expect(formatCount(4210)).toBe("4,210");
    expect([812, 4_210, 410_000, 1_340_000, 25_000_000].map(formatCompact)).toEqual([
      "812",
      "4.2k",
      "410k",
      "1.3M",
      "25M",
    ]);
  });

  it("money keeps enough digits to be more than zero", () => {
    expect([0, 0.0042, 0.25, 1.919, 12.5].map(formatUsd)).toEqual([
      "$0.00",
      "$0.0042",
      "$0.250",
      "$1.92",
      "$12.50",
    ]);
  });

  it("durations are coarse, latencies precise enough", () => {
    expect(
      [0, 45_000, 7 * 60_000, 7 * 60_000 + 30_000, 42 * 60_000, 65 * 60_000].map(formatDuration),
    ).toEqual(["0s", "45s", "7m", "7m 30s", "42m", "1h 5m"]);
    expect([812, 2_100].map(formatMs)).toEqual(["812 ms", "2.1 s"]);
  });

  it("percentages round down, bars fill to the fraction", () => {
    expect(formatPercent(0.4299)).toBe("42%");
    expect(formatPercent(1.5)).toBe("100%");
    expect(textBar(0.5, 10)).toBe("█████░░░░░");
  });
});
