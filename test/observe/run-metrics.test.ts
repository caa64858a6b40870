import { describe, expect, it } from "vitest";
import { renderPrometheus } from "../../src/observe/prometheus-text.js";
import { RunMetrics } from "../../src/observe/run-metrics.js";
import { answered, done, ended, failed, retried, started } from "./events.js";

const T0 = 1_700_000_000_000;

/** The file's sample lines (no HELP/TYPE), for `toContain`. */
function samples(metrics: RunMetrics): string[] {
  return renderPrometheus(metrics.families())
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"));
}

describe("run metrics", () => {
  it("counts items by model, key, scope, status and error type; tokens, cost, 429s and retries", () => {
    const metrics = new RunMetrics("run");
    metrics.observe({ type: "run", runId: "prompts-1", state: "new", cached: 0, retried: 0 }, T0);
    metrics.observe({ type: "start", total: 5, pending: 4, concurrency: 2 }, T0);
    metrics.observe(started("a"), T0);
    metrics.observe(done(answered("a")), T0 + 300);
    metrics.observe(started("b"), T0);
    metrics.observe(retried("b", "server"), T0 + 100);
    metrics.observe(started("b", 2), T0 + 200);
    metrics.observe({ type: "rate_limited", key: "k2", scope: "team-b", retryAfterMs: 1000 }, T0 + 250);
    metrics.observe(
      done(answered("b", { key: "k2", latency_ms: 2000, cost_usd: 0.02, attempts: 2 }), "team-b"),
      T0 + 2200,
    );
    metrics.observe(started("c"), T0);
    metrics.observe(done(failed("c", "bad_request")), T0 + 50);
    metrics.observe(started("d"), T0);

    const lines = samples(metrics);
    expect(lines).toContain('metasync_run_info{command="run",run_id="prompts-1"} 1');
    expect(lines).toContain(`metasync_run_start_time_seconds ${T0 / 1000}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'metasync_run_items{state="total"} 5',
        'metasync_run_items{state="previously_done"} 1',
        'metasync_run_items{state="ok"} 2',
        'metasync_run_items{state="failed"} 1',
        'metasync_run_items{state="pending"} 1',
        'metasync_run_items{state="in_flight"} 1',
        'metasync_items_total{model="openai:gpt-4o-mini",key="k1",scope="team-a",status="ok"} 1',
        'metasync_items_total{model="openai:gpt-4o-mini",key="k2",scope="team-b",status="ok"} 1',
        'metasync_items_total{model="openai:gpt-4o-mini",key="k1",scope="team-a",status="error",error_type="bad_request"} 1',
        'metasync_tokens_total{model="openai:gpt-4o-mini",key="k1",type="input"} 10',
        'metasync_tokens_total{model="openai:gpt-4o-mini",key="k1",type="output"} 20',
        'metasync_cost_usd_total{model="openai:gpt-4o-mini",key="k2"} 0.02',
        'metasync_rate_limited_total{key="k2",scope="team-b"} 1',
        'metasync_retries_total{model="openai:gpt-4o-mini",error_type="server"} 1',
      ]),
    );
    // Not ended yet.
    expect(lines.some((line) => line.startsWith("metasync_run_ended"))).toBe(false);
  });

  it("puts each item's latency in a histogram with the GenAI conventions' buckets, in seconds", () => {
    const metrics = new RunMetrics("run");
    metrics.observe(done(answered("a", { latency_ms: 300 })), T0);
    metrics.observe(done(answered("b", { latency_ms: 2000 })), T0);
    metrics.observe(done(answered("c", { latency_ms: 100_000 })), T0);
    const lines = samples(metrics).filter((line) => line.startsWith("metasync_request_duration_seconds"));
    const labels = 'model="openai:gpt-4o-mini",key="k1"';
    expect(lines).toEqual(
      expect.arrayContaining([
        `metasync_request_duration_seconds_bucket{${labels},le="0.16"} 0`,
        `metasync_request_duration_seconds_bucket{${labels},le="0.32"} 1`,
        `metasync_request_duration_seconds_bucket{${labels},le="2.56"} 2`,
        `metasync_request_duration_seconds_bucket{${labels},le="81.92"} 2`,
        `metasync_request_duration_seconds_bucket{${labels},le="+Inf"} 3`,
        `metasync_request_duration_seconds_sum{${labels}} 102.3`,
        `metasync_request_duration_seconds_count{${labels}} 3`,
      ]),
    );
  });

  it("takes the run's end and its counts; a model without a price is counted, never as $0", () => {
    const metrics = new RunMetrics("eval");
    metrics.observe({ type: "start", total: 2, pending: 2, concurrency: 1 }, T0);
    metrics.observe(done(answered("a", { model: "openai:my-model", cost_usd: null })), T0 + 10);
    metrics.observe(ended(1, 0, 2), T0 + 2000);
    const lines = samples(metrics);
    expect(lines).toContain('metasync_run_ended{reason="completed"} 1');
    expect(lines).toContain(`metasync_run_end_time_seconds ${(T0 + 2000) / 1000}`);
    expect(lines).toContain('metasync_unpriced_items_total{model="openai:my-model"} 1');
    expect(lines.some((line) => line.startsWith('metasync_cost_usd_total{model="openai:my-model"'))).toBe(
      false,
    );
    expect(lines).toContain('metasync_run_items{state="pending"} 1');
  });

  it("shows each key's state, and leaves items answered from the cache out of tokens and latency", () => {
    const metrics = new RunMetrics("run");
    metrics.observe(
      { type: "key_state", key: "k1", provider: "openai", scope: "team-a", state: "cooling" },
      T0,
    );
    metrics.observe({ type: "key_disabled", key: "k2", provider: "openai", reason: "rejected (401)" }, T0);
    metrics.observe(done(answered("a", { cached: true })), T0);
    const lines = samples(metrics);
    expect(lines).toEqual(
      expect.arrayContaining([
        'metasync_key_state{key="k1",provider="openai",scope="team-a",state="active"} 0',
        'metasync_key_state{key="k1",provider="openai",scope="team-a",state="cooling"} 1',
        'metasync_key_state{key="k2",provider="openai",state="disabled"} 1',
        'metasync_items_total{model="openai:gpt-4o-mini",key="k1",scope="team-a",status="ok",cached="true"} 1',
      ]),
    );
    expect(lines.some((line) => line.startsWith("metasync_tokens_total"))).toBe(false);
    expect(lines.some((line) => line.startsWith("metasync_request_duration_seconds"))).toBe(false);
  });

  it("ignores a command's own events", () => {
    const metrics = new RunMetrics("eval");
    metrics.observe({ type: "eval_score", id: "a", pass: true }, T0);
    expect(samples(metrics)).toEqual([]);
  });
});
