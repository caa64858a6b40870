import { describe, expect, it } from "vitest";
import type { EvalRow } from "../../src/eval/eval-row.js";
import { passAtK, passHatK } from "../../src/eval/repeat-stats.js";
import { renderSummaryTable, summarizeEval } from "../../src/eval/summary.js";

function row(
  test: number,
  repeat: number,
  status: EvalRow["status"],
  description: string | null = null,
): EvalRow {
  return {
    test,
    description,
    prompt: "p",
    provider: "mock:echo",
    repeat,
    vars: {},
    output: "x",
    status,
    pass: status === "pass",
    score: status === "pass" ? 1 : 0,
    reason: "",
    named_scores: {},
    assertions: [],
    error: null,
    latency_ms: 1,
    usage: null,
    cost_usd: 0,
    grading_cost_usd: 0,
    cached: false,
  };
}

describe("pass@k and pass^k against hand-computed values", () => {
  it("pass@k = 1 − C(n−c, k)/C(n, k)", () => {
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12); // C(3,2)=3, C(5,2)=10
    expect(passAtK(4, 1, 2)).toBeCloseTo(1 - 3 / 6, 12); // C(3,2)=3, C(4,2)=6
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(5, 3, 3)).toBe(1); // fewer failures than draws
    expect(passAtK(5, 0, 3)).toBe(0);
    expect(passAtK(5, 1, 5)).toBe(1);
  });

  it("pass^k = C(c, k)/C(n, k)", () => {
    expect(passHatK(5, 2, 2)).toBeCloseTo(1 / 10, 12);
    expect(passHatK(4, 3, 2)).toBeCloseTo(3 / 6, 12);
    expect(passHatK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passHatK(5, 5, 5)).toBe(1);
    expect(passHatK(5, 4, 5)).toBe(0);
    expect(() => passHatK(3, 1, 4)).toThrow(RangeError);
  });

  it("a cell of three tests × three repeats: pass@3, pass^3, the flaky test, rate with its interval, mean ± SE", async () => {
    const rows = [
      row(0, 0, "pass", "always"),
      row(0, 1, "pass", "always"),
      row(0, 2, "pass", "always"),
      row(1, 0, "pass", "sometimes"),
      row(1, 1, "fail", "sometimes"),
      row(1, 2, "pass", "sometimes"),
      row(2, 0, "fail"),
      row(2, 1, "error"),
      row(2, 2, "fail"),
    ];
    const summary = await summarizeEval(rows, 3);
    const cell = summary.cells[0];
    expect(cell?.repeats).toEqual({
      k: 3,
      tests: 3,
      pass_at_k: 2 / 3, // 1, 1, 0
      pass_hat_k: 1 / 3, // 1, 0, 0
      flaky: 1,
      flaky_tests: ["sometimes"],
    });
    expect(cell?.pass_rate).toBeCloseTo(5 / 9, 12);
    // Wilson, z = 1.959964: centre (p + z²/2n)/(1 + z²/n), margin z·√(p(1−p)/n + z²/4n²)/(1 + z²/n).
    expect(cell?.pass_rate_ci95?.low).toBeCloseTo(0.266651, 6);
    expect(cell?.pass_rate_ci95?.high).toBeCloseTo(0.811221, 6);
    // Scores 1,1,1,1,0,1,0,0,0: mean 5/9, sample variance 180/648, SE √(variance/9).
    expect(cell?.mean_score).toBeCloseTo(5 / 9, 12);
    expect(cell?.score_std_error).toBeCloseTo(Math.sqrt(180 / 648 / 9), 12);
    expect(renderSummaryTable(summary)).toContain(
      "p × mock:echo: pass@3 67% · pass^3 33% · 1 of 3 tests flaky: sometimes",
    );
  });

  it("without repeats there are no repeat statistics", async () => {
    const summary = await summarizeEval([row(0, 0, "pass"), row(1, 0, "fail")]);
    expect(summary.cells[0]?.repeats).toBeUndefined();
    expect(renderSummaryTable(summary)).not.toContain("pass@");
  });
});
