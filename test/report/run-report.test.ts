import { describe, expect, it } from "vitest";
import type { ItemResult } from "../../src/core/types.js";
import { builtInPrices } from "../../src/cost/price-table.js";
import { LatencyLog } from "../../src/report/latency-log.js";
import { buildRunReport, RunReportBuilder } from "../../src/report/run-report.js";

function ok(id: string, fields: Partial<ItemResult> = {}): ItemResult {
  return {
    id,
    status: "ok",
    output: "answer",
    model: "openai:gpt-4o-mini",
    usage: { input_tokens: 1000, output_tokens: 500 },
    cost_usd: 0.00045,
    latency_ms: 100,
    attempts: 1,
    finish_reason: "stop",
    error: null,
    ...fields,
  };
}

function failed(id: string, type: string, fields: Partial<ItemResult> = {}): ItemResult {
  return ok(id, {
    status: "error",
    output: null,
    usage: null,
    cost_usd: null,
    finish_reason: null,
    error: { type, message: `${type} happened` },
    ...fields,
  });
}

describe("buildRunReport", () => {
  it("has the fields DESIGN §7 names, and only plain JSON values", () => {
    const report = buildRunReport([ok("1")], { runId: "run-1", wallMs: 1000 });
    expect(Object.keys(report)).toEqual([
      "run_id",
      "items",
      "usage",
      "cost_usd",
      "cost_usd_known",
      "unpriced_models",
      "by_model",
      "by_key",
      "latency_ms",
      "errors",
      "retries",
      "wall_s",
      "throughput",
      "budget",
      "keys",
    ]);
    expect(Object.keys(report.items)).toEqual(["total", "ok", "failed", "pending", "from_cache"]);
    expect(Object.keys(report.usage)).toEqual(["input_tokens", "output_tokens", "cached_tokens"]);
    expect(Object.keys(report.latency_ms)).toEqual(["p50", "p95", "p99"]);
    expect(Object.keys(report.throughput)).toEqual(["items_per_s", "tokens_per_min"]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("adds up items, tokens, cost, errors and retries", () => {
    const results = [
      ok("1", {
        key: "k-aaaa",
        usage: { input_tokens: 1000, output_tokens: 500, cached_tokens: 400 },
        cost_usd: 0.00042,
      }),
      ok("2", { key: "k-bbbb", attempts: 3, latency_ms: 300 }),
      ok("3", { model: "anthropic:claude-haiku-4-5", key: "k-aaaa", cost_usd: 0.0035, latency_ms: 200 }),
      failed("4", "server", { attempts: 4, key: "k-bbbb" }),
      failed("5", "timeout", { attempts: 2 }),
      failed("6", "server"),
      undefined,
      ok("8", { cached: true, key: "k-aaaa", cost_usd: 0, latency_ms: 0, attempts: 0 }),
    ];
    const report = buildRunReport(results, { runId: "run-1", wallMs: 2500 });
    expect(report.items).toEqual({ total: 8, ok: 4, failed: 3, pending: 1, from_cache: 1 });
    // The cache answer's tokens were paid for in an earlier run: they are left out.
    expect(report.usage).toEqual({ input_tokens: 3000, output_tokens: 1500, cached_tokens: 400 });
    // 420 + 450 + 3,500 micro-dollars; failed requests that reported no usage cost nothing.
    expect(report.cost_usd).toBe(0.00437);
    expect(report.cost_usd_known).toBe(0.00437);
    expect(report.unpriced_models).toEqual([]);
    expect(report.by_model["anthropic:claude-haiku-4-5"]).toEqual({
      items: 1,
      ok: 1,
      failed: 0,
      input_tokens: 1000,
      output_tokens: 500,
      cached_tokens: 0,
      cost_usd: 0.0035,
      cost_usd_known: 0.0035,
    });
    expect(report.by_model["openai:gpt-4o-mini"]?.items).toBe(6);
    expect(Object.keys(report.by_key)).toEqual(["k-aaaa", "k-bbbb"]);
    expect(report.by_key["k-aaaa"]).toMatchObject({ items: 2, ok: 2, cost_usd: 0.00392 });
    expect(report.by_key["k-bbbb"]).toMatchObject({ items: 2, ok: 1, failed: 1, input_tokens: 1000 });
    expect(report.errors).toEqual({ server: 2, timeout: 1 });
    expect(Object.keys(report.errors)).toEqual(["server", "timeout"]);
    expect(report.retries).toBe(2 + 3 + 1);
    expect(report.latency_ms).toEqual({ p50: 200, p95: 300, p99: 300 });
    expect(report.wall_s).toBe(2.5);
    // 6 finished items sent in this run over 2.5 s; 4,500 tokens over 2.5 s is 108,000 a minute.
    expect(report.throughput).toEqual({ items_per_s: 2.4, tokens_per_min: 108_000 });
    expect(report.budget).toBeNull();
  });

  it("reports an unknown cost as null, never 0, with the known part and the unpriced models", () => {
    const results = [
      ok("1"),
      ok("2", { model: "openai:my-finetune", cost_usd: null }),
      ok("3", { model: "openai:my-finetune", cost_usd: null }),
    ];
    const report = buildRunReport(results, { runId: "r", wallMs: null });
    expect(report.cost_usd).toBeNull();
    expect(report.cost_usd_known).toBe(0.00045);
    expect(report.unpriced_models).toEqual(["openai:my-finetune"]);
    expect(report.by_model["openai:my-finetune"]).toMatchObject({ cost_usd: null, cost_usd_known: 0 });
    expect(report.by_model["openai:gpt-4o-mini"]?.cost_usd).toBe(0.00045);
    expect(report.wall_s).toBeNull();
    expect(report.throughput).toEqual({ items_per_s: null, tokens_per_min: null });
  });

  it("prices results stored without a cost from their usage when given prices", () => {
    const results = [ok("1", { cost_usd: null }), ok("2", { model: "mock:echo", cost_usd: null })];
    const unpriced = buildRunReport(results, { runId: "r", wallMs: 1 });
    expect(unpriced.cost_usd).toBeNull();
    expect(unpriced.unpriced_models).toEqual(["mock:echo", "openai:gpt-4o-mini"]);
    const priced = buildRunReport(results, { runId: "r", wallMs: 1 }, { prices: builtInPrices() });
    expect(priced.cost_usd).toBe(0.00045);
    expect(priced.unpriced_models).toEqual([]);
  });

  it("compares each scope's use with its budget, per minute of wall time", () => {
    const report = buildRunReport([ok("1")], {
      runId: "r",
      wallMs: 30_000,
      budget: [
        { scope: "team-a", rpm: 500, tpm: 200_000, requests: 100, tokens: 50_000 },
        { scope: "team-b", rpm: null, tpm: null, requests: 10, tokens: 0 },
      ],
    });
    expect(report.budget).toEqual({
      "team-a": {
        requests: 100,
        tokens: 50_000,
        rpm: { limit: 500, used: 200, share: 0.4 },
        tpm: { limit: 200_000, used: 100_000, share: 0.5 },
      },
      "team-b": {
        requests: 10,
        tokens: 0,
        rpm: { limit: null, used: 20, share: null },
        tpm: { limit: null, used: 0, share: null },
      },
    });
  });

  it("builds the same report from a stream of results, one at a time", () => {
    const builder = new RunReportBuilder();
    for (let i = 0; i < 10_000; i++) builder.add(ok(String(i), { latency_ms: (i % 100) + 1 }));
    const report = builder.build({ runId: "r", wallMs: 10_000 });
    expect(report.items.ok).toBe(10_000);
    expect(report.cost_usd).toBe(4.5);
    expect(report.latency_ms).toEqual({ p50: 50, p95: 95, p99: 99 });
  });
});

describe("LatencyLog", () => {
  it("gives nearest-rank percentiles, and null when empty", () => {
    const log = new LatencyLog();
    expect(log.percentile(50)).toBeNull();
    for (const ms of [5, 1, 4, 2, 3]) log.add(ms);
    expect([log.percentile(0), log.percentile(50), log.percentile(80), log.percentile(81)]).toEqual([
      1, 3, 4, 5,
    ]);
    log.add(0.5);
    expect(log.percentile(1)).toBe(0.5);
    expect(log.count).toBe(6);
  });
});
