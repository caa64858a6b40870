import type { TestContext } from "vitest";
import { describe, expect, it } from "vitest";
import { startOtel } from "../../src/observe/otel-observer.js";
import { otelSettings } from "../../src/observe/otel-settings.js";
import { VirtualClock } from "../support/virtual-clock.js";
import { answered, done, ended, failed, retried, started } from "./events.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";

/** How long a span lasted, in ms. */
function lasted(span: ReceivedSpan | undefined): number {
  return span ? span.endMs - span.startMs : Number.NaN;
}

async function receiver(test: TestContext): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver();
  test.onTestFinished(() => started.close());
  return started;
}

function settingsFor(url: string, env: Record<string, string> = {}) {
  const settings = otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: url, ...env }, "9.9.9");
  if (!settings) throw new Error("OpenTelemetry should be on");
  return settings;
}

/** A small run: `a` answered, `b` a 500 then answered, `c` refused (400). */
function feedRun(
  sink: (event: Parameters<ReturnType<typeof startOtel>["sink"]>[0]) => void,
  clock: VirtualClock,
) {
  const at = (ms: number) => {
    clock.time = 1_000_000 + ms;
  };
  at(0);
  sink({ type: "run", runId: "prompts-abc", state: "new", cached: 0, retried: 0 });
  sink({ type: "start", total: 3, pending: 3, concurrency: 2 });
  sink(started("a"));
  sink(started("b"));
  at(120);
  sink(retried("b", "server"));
  at(300);
  sink(done(answered("a")));
  sink(started("b", 2));
  sink(started("c", 1, "anthropic:claude-haiku-4-5"));
  at(500);
  sink(done(answered("b", { attempts: 2, usage: { input_tokens: 7, output_tokens: 3 }, key: "k2" })));
  sink(done(failed("c", "bad_request", { model: "anthropic:claude-haiku-4-5" })));
  at(600);
  sink(ended(2, 1));
}

describe("OpenTelemetry (GenAI semantic conventions)", () => {
  it("sends a run span with a `chat {model}` span per request attempt under it", async (test) => {
    const collector = await receiver(test);
    const clock = new VirtualClock(1_000_000);
    const observer = startOtel(settingsFor(collector.url), { command: "run", clock, version: "9.9.9" });
    feedRun(observer.sink, clock);
    expect(await observer.close()).toEqual([]);

    expect(collector.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/v1/traces", "/v1/metrics"]),
    );
    const run = collector.spans.find((span) => span.name === "metasync run");
    expect(run).toBeDefined();
    expect(run?.parentSpanId).toBeUndefined();
    expect(run?.resource).toMatchObject({ "service.name": "metasync", "service.version": "9.9.9" });
    expect(run?.attributes).toMatchObject({
      "metasync.run.id": "prompts-abc",
      "metasync.items.total": 3,
      "metasync.items.ok": 2,
      "metasync.items.failed": 1,
      "metasync.run.end_reason": "completed",
    });
    expect(lasted(run)).toBe(600);

    const chats = collector.spans.filter((span) => span.name !== "metasync run");
    expect(chats.map((span) => span.name).sort()).toEqual([
      "chat claude-haiku-4-5",
      "chat gpt-4o-mini",
      "chat gpt-4o-mini",
      "chat gpt-4o-mini",
    ]);
    for (const span of chats) {
      expect(span.kind).toBe(3); // CLIENT
      expect(span.traceId).toBe(run?.traceId);
      expect(span.parentSpanId).toBe(run?.spanId);
    }
    const a = chats.find((span) => span.attributes["metasync.item.id"] === "a");
    expect(a?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.system": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 20,
      "gen_ai.response.finish_reasons": ["stop"],
      "metasync.key": "k1",
    });
    expect(a?.attributes["error.type"]).toBeUndefined();
    expect(a?.status.code).toBe(0);
    expect(lasted(a)).toBe(300);

    const [b1, b2] = chats
      .filter((span) => span.attributes["metasync.item.id"] === "b")
      .sort((x, y) => Number(x.attributes["metasync.attempt"]) - Number(y.attributes["metasync.attempt"]));
    expect(b1?.attributes["error.type"]).toBe("server");
    expect(b1?.status).toEqual({ code: 2, message: "server error" });
    expect(lasted(b1)).toBe(120);
    expect(b2?.attributes).toMatchObject({ "gen_ai.usage.input_tokens": 7, "metasync.attempt": 2 });
    expect(b2?.attributes["error.type"]).toBeUndefined();

    const c = chats.find((span) => span.attributes["metasync.item.id"] === "c");
    expect(c?.attributes).toMatchObject({ "gen_ai.provider.name": "anthropic", "error.type": "bad_request" });
    expect(c?.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    expect(c?.status.code).toBe(2);
  });

  it("sends gen_ai.client.operation.duration and gen_ai.client.token.usage histograms", async (test) => {
    const collector = await receiver(test);
    const clock = new VirtualClock(1_000_000);
    const observer = startOtel(settingsFor(collector.url), { command: "run", clock, version: "9.9.9" });
    feedRun(observer.sink, clock);
    await observer.close();

    const metric = (name: string) => collector.metrics.find((m) => m.name === name);
    const duration = metric("gen_ai.client.operation.duration");
    expect(duration).toMatchObject({ unit: "s", kind: "histogram" });
    expect(duration?.points[0]?.bounds).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    const okOpenai = duration?.points.find(
      (p) =>
        p.attributes["gen_ai.request.model"] === "gpt-4o-mini" && p.attributes["error.type"] === undefined,
    );
    expect(okOpenai).toMatchObject({
      count: 2,
      attributes: { "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai" },
    });
    expect(okOpenai?.sum).toBeCloseTo(0.5);
    const errors = duration?.points.filter((p) => p.attributes["error.type"] !== undefined);
    expect(errors?.map((p) => p.attributes["error.type"]).sort()).toEqual(["bad_request", "server"]);

    const tokens = metric("gen_ai.client.token.usage");
    expect(tokens).toMatchObject({ unit: "{token}", kind: "histogram" });
    const input = tokens?.points.find(
      (p) =>
        p.attributes["gen_ai.token.type"] === "input" &&
        p.attributes["gen_ai.request.model"] === "gpt-4o-mini",
    );
    expect(input).toMatchObject({ count: 2, sum: 17 });
    const output = tokens?.points.find((p) => p.attributes["gen_ai.token.type"] === "output");
    expect(output).toMatchObject({ count: 2, sum: 23 });

    const items = metric("metasync.items");
    expect(items?.points.map((p) => [p.attributes["metasync.status"], p.value]).sort()).toEqual([
      ["error", 1],
      ["ok", 2],
    ]);
    expect(metric("metasync.cost")?.points[0]?.value).toBeCloseTo(0.02);
  });

  it("marks the run span as an error when the run stopped early", async (test) => {
    const collector = await receiver(test);
    const clock = new VirtualClock(1_000_000);
    const observer = startOtel(settingsFor(collector.url, { OTEL_METRICS_EXPORTER: "none" }), {
      command: "eval",
      clock,
      version: "9.9.9",
    });
    observer.sink(started("a"));
    observer.sink({ type: "stopping", reason: "stopped", message: "no usable key left" });
    observer.sink({
      type: "end",
      reason: "stopped",
      counts: { total: 1, ok: 0, failed: 0, previouslyDone: 0, inFlight: 0 },
      wallMs: 5,
    });
    await observer.close();
    expect(collector.requests.map((r) => r.path)).toEqual(["/v1/traces"]);
    const run = collector.spans.find((span) => span.name === "metasync eval");
    expect(run?.status).toEqual({ code: 2, message: "no usable key left" });
    const chat = collector.spans.find((span) => span.name === "chat gpt-4o-mini");
    expect(chat?.attributes["error.type"]).toBe("cancelled");
  });

  it("says so when the collector cannot be reached, and does not fail", async (test) => {
    const collector = await receiver(test);
    await collector.close(); // nothing listens on its port now
    const clock = new VirtualClock(1_000_000);
    const observer = startOtel(settingsFor(collector.url, { OTEL_EXPORTER_OTLP_TIMEOUT: "300" }), {
      command: "run",
      clock,
      version: "9.9.9",
    });
    feedRun(observer.sink, clock);
    const warnings = await observer.close();
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^OpenTelemetry: cannot send traces to ${collector.url}/v1/traces: .*ECONNREFUSED`),
        ),
        expect.stringMatching(
          new RegExp(`^OpenTelemetry: cannot send metrics to ${collector.url}/v1/metrics: `),
        ),
      ]),
    );
  });
});
