import { describe, expect, it } from "vitest";
import type { ItemResult } from "../../src/core/types.js";
import { renderReportMarkdown } from "../../src/report/report-markdown.js";
import { buildRunReport, type ReportMeta } from "../../src/report/run-report.js";

const answer: ItemResult = {
  id: "1",
  status: "ok",
  output: "x",
  model: "openai:gpt-4o-mini",
  usage: { input_tokens: 1000, output_tokens: 500 },
  cost_usd: 0.00045,
  latency_ms: 812,
  attempts: 1,
  finish_reason: "stop",
  error: null,
};
const failure: ItemResult = {
  ...answer,
  status: "error",
  usage: null,
  cost_usd: null,
  output: null,
  error: { type: "rate_limited", message: "429" },
  attempts: 5,
};
const meta: ReportMeta = {
  runId: "prompts-1a2b3c4d",
  wallMs: 64_300,
  budget: [{ scope: "team-a", rpm: 500, tpm: 200_000, requests: 4, tokens: 6000 }],
};

describe("renderReportMarkdown", () => {
  const report = buildRunReport(
    [
      answer,
      { ...answer, key: "fp-1a2b" },
      { ...answer, model: "openai:my|model", cost_usd: null },
      failure,
      undefined,
    ],
    meta,
  );
  const markdown = renderReportMarkdown(report);

  it("has the item counts, breakdowns, errors and budget as tables", () => {
    expect(markdown).toContain("## metasync run report: `prompts-1a2b3c4d`");
    expect(markdown).toContain(
      "| items | ok | failed | pending | from cache |\n|---|---:|---:|---:|---:|\n| 5 | 3 | 1 | 1 | 0 |",
    );
    expect(markdown).toContain(
      "### By model\n\n| model | items | ok | failed | input tokens | output tokens | cost |",
    );
    expect(markdown).toContain("| `openai:gpt-4o-mini` | 3 | 2 | 1 | 2,000 | 1,000 | $0.00090 |");
    expect(markdown).toContain("### By key");
    expect(markdown).toContain("| `fp-1a2b` | 1 | 1 | 0 | 1,000 | 500 | $0.00045 |");
    expect(markdown).toContain("### Errors\n\n| type | items |\n|---|---:|\n| rate_limited | 1 |");
    expect(markdown).toContain("| team-a | 500 | 4 | 1% | 200,000 | 5,599 | 3% |");
    expect(markdown).toContain("| latency | p50 812 ms · p95 812 ms · p99 812 ms |");
    expect(markdown).toContain("| retries | 4 |");
    expect(markdown).toContain("| wall time | 1m 04s |");
  });

  it("shows an unknown cost as unknown, never as $0, and escapes pipes in cells", () => {
    expect(markdown).toContain("| cost | $0.00090 + unknown (no price for openai:my\\|model) |");
    expect(markdown).toContain("| `openai:my\\|model` | 1 | 1 | 0 | 1,000 | 500 | unknown |");
    expect(markdown).toContain("**Cost unknown** for `openai:my|model`");
  });

  it("leaves out sections with nothing in them", () => {
    const plain = renderReportMarkdown(buildRunReport([answer], { runId: "r", wallMs: null }));
    expect(plain).not.toContain("### By key");
    expect(plain).not.toContain("### Errors");
    expect(plain).not.toContain("### Budget");
    expect(plain).toContain("| cost | $0.00045 |");
    expect(plain).toContain("| throughput | n/a |");
  });
});
