import { describe, expect, it } from "vitest";
import type { EvalRow } from "../../src/eval/eval-row.js";
import {
  EvalSummaryBuilder,
  renderSummaryMarkdown,
  renderSummaryTable,
  summarizeEval,
  verdict,
  wilsonInterval,
} from "../../src/eval/summary.js";

function evalRow(overrides: Partial<EvalRow> = {}): EvalRow {
  const status = overrides.status ?? "pass";
  return {
    test: 0,
    description: null,
    prompt: "p1",
    provider: "mock:echo",
    repeat: 0,
    vars: {},
    output: "ok",
    status,
    pass: status === "pass",
    score: status === "pass" ? 1 : 0,
    reason: status === "pass" ? "All assertions passed" : "Expected output to equal ok",
    named_scores: {},
    assertions: [],
    error: status === "error" ? { type: "server_error", message: "HTTP 500" } : null,
    latency_ms: 100,
    usage: { input_tokens: 10, output_tokens: 2 },
    cost_usd: 0.001,
    grading_cost_usd: 0,
    cached: false,
    ...overrides,
  };
}

describe("wilsonInterval", () => {
  it("gives the 95% Wilson score interval: 8/10 → [0.490, 0.943]", () => {
    const interval = wilsonInterval(8, 10);
    expect(interval?.low).toBeCloseTo(0.4902, 4);
    expect(interval?.high).toBeCloseTo(0.9433, 4);
  });

  it("reaches exactly 1 for all passing and 0 for none, and stays informative on small samples", () => {
    expect(wilsonInterval(10, 10)).toEqual({ low: expect.closeTo(0.7225, 4), high: 1 });
    expect(wilsonInterval(0, 10)).toEqual({ low: 0, high: expect.closeTo(0.2775, 4) });
    expect(wilsonInterval(1, 1)).toEqual({ low: expect.closeTo(0.2065, 4), high: 1 });
  });

  it("has no interval without rows", () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it("narrows with more rows around the same rate", () => {
    const small = wilsonInterval(80, 100);
    expect(small?.low).toBeCloseTo(0.7112, 4);
    expect(small?.high).toBeCloseTo(0.8666, 4);
  });
});

describe("summarizeEval", () => {
  it("counts errors in the pass rate's denominator and reports them apart", async () => {
    const rows = [
      evalRow(),
      evalRow({ test: 1 }),
      evalRow({ test: 2, status: "fail" }),
      evalRow({ test: 3, status: "error", output: null, usage: null, cost_usd: 0, latency_ms: 30_000 }),
    ];
    const { overall } = await summarizeEval(rows);
    expect(overall).toMatchObject({ rows: 4, pass: 2, fail: 1, error: 1, pass_rate: 0.5 });
    expect(overall.pass_rate_ci95).toEqual(wilsonInterval(2, 4));
    // The error's 30 s timeout is not a latency of an answer.
    expect(overall.latency_ms).toEqual({ p50: 100, p95: 100 });
  });

  it("gives the mean score with its standard error, an error scoring 0", async () => {
    const rows = [
      evalRow({ score: 1 }),
      evalRow({ status: "fail", score: 0.5 }),
      evalRow({ status: "fail", score: 0 }),
      evalRow({ status: "error", score: 0.9 }),
    ];
    const { overall } = await summarizeEval(rows);
    // scores 1, 0.5, 0, 0: mean 0.375, sample sd √(0.72917/3)… → SE = sd/√4
    expect(overall.mean_score).toBeCloseTo(0.375, 10);
    const sd = Math.sqrt(((1 - 0.375) ** 2 + (0.5 - 0.375) ** 2 + 2 * 0.375 ** 2) / 3);
    expect(overall.score_std_error).toBeCloseTo(sd / 2, 10);
  });

  it("has no standard error for one row and no rates for none", async () => {
    expect((await summarizeEval([evalRow()])).overall).toMatchObject({
      mean_score: 1,
      score_std_error: null,
    });
    const empty = (await summarizeEval([])).overall;
    expect(empty).toMatchObject({ rows: 0, pass_rate: null, pass_rate_ci95: null, mean_score: null });
    expect(empty.latency_ms).toEqual({ p50: null, p95: null });
  });

  it("says the target cost is unknown when a row's cost is, never $0, and keeps the known part", async () => {
    const rows = [evalRow({ cost_usd: 0.25 }), evalRow({ cost_usd: null }), evalRow({ cost_usd: 0.5 })];
    const { overall } = await summarizeEval(rows);
    expect(overall).toMatchObject({ cost_usd: null, cost_usd_known: 0.75, cost_unknown_rows: 1 });
    expect(renderSummaryTable(await summarizeEval(rows))).toContain("$0.750 + unknown");
    expect(renderSummaryTable(await summarizeEval([evalRow({ cost_usd: null })]))).toMatch(
      /unknown[\s\S]*cost unknown for 1 row: no price for the model/,
    );
  });

  it("sums target and grading costs exactly, and tokens of the answers the provider gave", async () => {
    const rows = Array.from({ length: 10 }, (_, i) =>
      evalRow({ test: i, cost_usd: 0.1, grading_cost_usd: 0.01, cached: i === 9 }),
    );
    const { overall } = await summarizeEval(rows);
    expect(overall.cost_usd).toBe(1);
    expect(overall.grading_cost_usd).toBe(0.1);
    expect(overall.cached).toBe(1);
    expect(overall.usage).toEqual({ input_tokens: 90, output_tokens: 18 });
  });

  it("keeps one cell per prompt × provider, in the order rows first name them", async () => {
    const rows = [
      evalRow({ prompt: "v1", provider: "b", latency_ms: 10 }),
      evalRow({ prompt: "v1", provider: "a", status: "fail", latency_ms: 20 }),
      evalRow({ prompt: "v2", provider: "b", latency_ms: 30 }),
      evalRow({ prompt: "v1", provider: "b", latency_ms: 50 }),
    ];
    const summary = await summarizeEval(rows);
    expect(summary.cells.map((c) => [c.prompt, c.provider, c.rows, c.pass])).toEqual([
      ["v1", "b", 2, 2],
      ["v1", "a", 1, 0],
      ["v2", "b", 1, 1],
    ]);
    expect(summary.cells[0]?.latency_ms).toEqual({ p50: 10, p95: 50 });
    expect(summary.overall.rows).toBe(4);
  });

  it("reads an async stream of rows", async () => {
    async function* rows() {
      yield evalRow();
      yield evalRow({ status: "fail" });
    }
    expect((await summarizeEval(rows())).overall.pass_rate).toBe(0.5);
  });
});

describe("verdict", () => {
  function summaryOf(pass: number, fail: number, error = 0) {
    const builder = new EvalSummaryBuilder();
    for (let i = 0; i < pass; i++) builder.add(evalRow());
    for (let i = 0; i < fail; i++) builder.add(evalRow({ status: "fail" }));
    for (let i = 0; i < error; i++) builder.add(evalRow({ status: "error" }));
    return builder.build();
  }

  it("passes at or above the threshold and fails below it, errors counting against", () => {
    expect(verdict(summaryOf(10, 0), 100)).toBe("pass");
    expect(verdict(summaryOf(9, 1), 100)).toBe("fail");
    expect(verdict(summaryOf(19, 1), 95)).toBe("pass");
    expect(verdict(summaryOf(18, 1, 1), 95)).toBe("fail");
    expect(verdict(summaryOf(0, 0, 3), 0)).toBe("pass");
  });

  it("is not fooled by floating point at the threshold (29 of 100 at 29%)", () => {
    expect(verdict(summaryOf(29, 71), 29)).toBe("pass");
    expect(verdict(summaryOf(1, 2), 33.33)).toBe("pass");
    expect(verdict(summaryOf(1, 2), 33.34)).toBe("fail");
  });

  it("fails an eval with no rows unless the threshold is 0", () => {
    expect(verdict(summaryOf(0, 0), 100)).toBe("fail");
    expect(verdict(summaryOf(0, 0), 0)).toBe("pass");
  });
});

describe("renderSummaryTable", () => {
  it("aligns one line per cell and a total, with the interval, score, cost, latency and tokens", async () => {
    const rows = [
      ...Array.from({ length: 8 }, (_, i) => evalRow({ test: i, latency_ms: 100 + i })),
      evalRow({ test: 8, status: "fail", latency_ms: 900 }),
      evalRow({ test: 9, status: "error", latency_ms: null, usage: null, cost_usd: 0 }),
      evalRow({ provider: "mock:other", latency_ms: 2_500, cost_usd: 0.02, grading_cost_usd: 0.004 }),
    ];
    expect(renderSummaryTable(await summarizeEval(rows))).toBe(
      [
        "PROMPT  PROVIDER    ROWS  PASS  FAIL  ERROR  PASS RATE [95% CI]   SCORE ± SE     COST  GRADING     P50     P95  IN TOK  OUT TOK",
        "p1      mock:echo     10     8     1      1      80% [49%, 94%]  0.80 ± 0.13  $0.0090    $0.00  104 ms  900 ms      90       18",
        "p1      mock:other     1     1     0      0    100% [21%, 100%]         1.00   $0.020  $0.0040   2.5 s   2.5 s      10        2",
        "total                 11     9     1      1      82% [52%, 95%]  0.82 ± 0.12   $0.029  $0.0040  104 ms   2.5 s     100       20",
        "",
      ].join("\n"),
    );
  });

  it("leaves the total out when there is one cell", async () => {
    const text = renderSummaryTable(await summarizeEval([evalRow()]));
    expect(text.split("\n")).toHaveLength(3);
    expect(text).not.toContain("total");
  });
});

describe("renderSummaryMarkdown", () => {
  it("writes the same columns as a Markdown table, numbers aligned right", async () => {
    const text = renderSummaryMarkdown(await summarizeEval([evalRow(), evalRow({ status: "fail" })]));
    expect(text).toBe(
      [
        "| prompt | provider | rows | pass | fail | error | pass rate [95% ci] | score ± se | cost | grading | p50 | p95 | in tok | out tok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| p1 | mock:echo | 2 | 1 | 1 | 0 | 50% [9%, 91%] | 0.50 ± 0.50 | $0.0020 | $0.00 | 100 ms | 100 ms | 20 | 4 |",
        "",
      ].join("\n"),
    );
  });
});
