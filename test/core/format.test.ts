import { describe, expect, it } from "vitest";
import {
  formatCompact,
  formatCount,
  formatNumber,
  formatPercent,
  formatRate,
  formatShare,
} from "../../src/core/format/number.js";
import { nearestRank, percentiles } from "../../src/core/format/percentile.js";
import { alignedTable, markdownTable, textBar } from "../../src/core/format/table.js";
import {
  formatClockTime,
  formatDateTime,
  formatDuration,
  formatLatency,
} from "../../src/core/format/time.js";
import { formatUsd } from "../../src/core/format/usd.js";

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

  it("counts things with their noun", () => {
    expect(formatCount(1, "request")).toBe("1 request");
    expect(formatCount(4210, "prompt token")).toBe("4,210 prompt tokens");
    expect(formatCount(0, "limit scope")).toBe("0 limit scopes");
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

  it("shows unknown money as unknown and small amounts as more than zero", () => {
    expect(formatUsd(null)).toBe("unknown");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.0000234)).toBe("$0.000023");
    expect(formatUsd(0.042)).toBe("$0.042");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(0.00045)).toBe("$0.00045");
    expect(formatUsd(0.0000004)).toBe("$0.00000040");
    // Rounded up to a cent, it reads as a cent does.
    expect(formatUsd(0.00996)).toBe("$0.010");
  });

  it("numbers read as people write them: separators, no exponent (issue 16)", () => {
    expect(formatUsd(0.00000075)).toBe("$0.00000075");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(1e-14)).toBe("<$0.000000000001");
    expect(formatNumber(7.5e-7)).toBe("0.00000075");
    expect(formatNumber(0.1 + 0.2)).toBe("0.3");
    expect(formatNumber(12_500)).toBe("12,500");
    expect([1004.723, 12.34, 0.42, 0.00423, 0].map(formatRate)).toEqual([
      "1,004.7",
      "12.3",
      "0.42",
      "0.0042",
      "0",
    ]);
  });

  it("log lines carry an ISO 8601 date-time in UTC, to the second", () => {
    expect(formatDateTime(Date.UTC(2026, 10, 29, 21, 6, 12, 345))).toBe("2026-11-29T21:06:12Z");
  });

  it("durations are coarse, latencies precise enough", () => {
    expect(
      [0, 45_000, 7 * 60_000, 7 * 60_000 + 30_000, 42 * 60_000, 65 * 60_000].map((ms) => formatDuration(ms)),
    ).toEqual(["0s", "45s", "7m", "7m 30s", "42m", "1h 5m"]);
    expect([812, 2_100].map((ms) => formatLatency(ms))).toEqual(["812 ms", "2.1 s"]);
  });

  it("measured wall times are fine: tenths of a second, then padded minutes and hours", () => {
    expect([100, 5_000, 64_300, 59_960, 3_725_000].map((ms) => formatDuration(ms, "fine"))).toEqual([
      "0.1 s",
      "5.0 s",
      "1m 04s",
      "1m 00s",
      "1h 02m",
    ]);
  });

  it("latencies say n/a when nothing was measured, and do not read 1000 ms", () => {
    expect(formatLatency(null)).toBe("n/a");
    expect(formatLatency(999.6)).toBe("1.0 s");
    expect(formatLatency(2_000)).toBe("2.0 s");
  });

  it("times of day have two digits each", () => {
    expect(formatClockTime(new Date(2025, 0, 1, 9, 3, 7).getTime())).toBe("09:03:07");
  });

  it("percentages round down, bars fill to the fraction", () => {
    expect(formatPercent(0.4299)).toBe("42%");
    expect(formatPercent(1.5)).toBe("100%");
    expect(textBar(0.5, 10)).toBe("█████░░░░░");
  });

  it("shares round to the nearest percent and may pass 100%", () => {
    expect([0.0075, 0.5, 1.3].map((f) => formatShare(f))).toEqual(["1%", "50%", "130%"]);
    expect(formatShare(null)).toBe("n/a");
  });
});

describe("tables", () => {
  it("pads columns to their widest cell, numbers on the right", () => {
    const rows = [
      ["MODEL", "REQUESTS", "COST"],
      ["openai:gpt-4o-mini", "1,200", "$0.42"],
      ["total", "7", "unknown"],
    ];
    expect(alignedTable(rows, [1])).toEqual([
      "MODEL               REQUESTS  COST",
      "openai:gpt-4o-mini     1,200  $0.42",
      "total                      7  unknown",
    ]);
  });

  it("writes Markdown with escaped pipes and right-aligned columns", () => {
    expect(markdownTable(["model", "items"], [["a|b", "3"]], [1])).toEqual([
      "| model | items |",
      "|---|---:|",
      "| a\\|b | 3 |",
    ]);
  });
});

describe("percentiles", () => {
  it("are nearest-rank: the smallest value with that share of values at or below it", () => {
    expect(nearestRank([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(nearestRank([1, 2, 3, 4, 5], 0.81)).toBe(5);
    expect(nearestRank([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(nearestRank([], 0.5)).toBeUndefined();
    expect(percentiles([5, 1, 4, 2, 3], [0.5, 0.95])).toEqual([3, 5]);
  });
});
