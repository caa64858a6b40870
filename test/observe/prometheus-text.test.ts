import { describe, expect, it } from "vitest";
import { renderPrometheus } from "../../src/observe/prometheus-text.js";

describe("Prometheus text format", () => {
  it("writes HELP and TYPE before each family's samples, and leaves out empty labels and families", () => {
    const text = renderPrometheus([
      {
        name: "metasync_items_total",
        help: "Items finished.",
        type: "counter",
        series: [
          { labels: { model: "openai:gpt-4o-mini", status: "ok", error_type: "" }, value: 3 },
          { labels: { model: "openai:gpt-4o-mini", status: "error", error_type: "timeout" }, value: 1 },
        ],
      },
      { name: "metasync_unused", help: "Nothing yet.", type: "gauge", series: [] },
      {
        name: "metasync_run_start_time_seconds",
        help: "Start.",
        type: "gauge",
        series: [{ labels: {}, value: 1.5 }],
      },
    ]);
    expect(text).toBe(
      [
        "# HELP metasync_items_total Items finished.",
        "# TYPE metasync_items_total counter",
        'metasync_items_total{model="openai:gpt-4o-mini",status="ok"} 3',
        'metasync_items_total{model="openai:gpt-4o-mini",status="error",error_type="timeout"} 1',
        "# HELP metasync_run_start_time_seconds Start.",
        "# TYPE metasync_run_start_time_seconds gauge",
        "metasync_run_start_time_seconds 1.5",
        "",
      ].join("\n"),
    );
  });

  it("escapes backslashes, quotes and newlines in label values, and in help text", () => {
    const text = renderPrometheus([
      {
        name: "m",
        help: "a\\b\nc",
        type: "gauge",
        series: [{ labels: { model: 'my"model\\v1\nx' }, value: 1 }],
      },
    ]);
    expect(text).toContain("# HELP m a\\\\b\\nc\n");
    expect(text).toContain('m{model="my\\"model\\\\v1\\nx"} 1\n');
  });

  it("writes a histogram's buckets cumulatively, with +Inf, _sum and _count", () => {
    const text = renderPrometheus([
      {
        name: "d",
        help: "Durations.",
        type: "histogram",
        bounds: [0.5, 1],
        series: [{ labels: { model: "m" }, counts: [2, 1, 1], sum: 3.2, count: 4 }],
      },
    ]);
    expect(text.split("\n").slice(2, 7)).toEqual([
      'd_bucket{model="m",le="0.5"} 2',
      'd_bucket{model="m",le="1"} 3',
      'd_bucket{model="m",le="+Inf"} 4',
      'd_sum{model="m"} 3.2',
      'd_count{model="m"} 4',
    ]);
  });
});
