import { describe, expect, it } from "vitest";
import { createJsonReporter, JSON_INTERVAL_MS } from "../../src/ui/json-reporter.js";
import { failure, itemDone, itemStart, result, runEvent, start, T0 } from "./events.js";
import { fakeTimer, sinkText } from "./fake-timer.js";

function parse(text: string): Record<string, unknown>[] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("json reporter", () => {
  it("writes one object per line, each with a type and a time", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createJsonReporter({ write: out.write, now: clock.now, every: clock.every });
    report(runEvent());
    report(start(4, 4, 2));
    report(itemStart("a"));
    report({ type: "retry", id: "a", attempt: 1, error: { type: "server", message: "502" }, delayMs: 250 });
    report({ type: "rate_limited", key: "k1", scope: "team-a", retryAfterMs: 2000 });
    report({ type: "key_disabled", key: "k2", provider: "anthropic", reason: "invalid key (401)" });
    // Each request in flight on that key may say so again: one object per key.
    report({ type: "key_disabled", key: "k2", provider: "anthropic", reason: "invalid key (401)" });
    report(itemDone(result("a", { attempts: 2, latency_ms: 40 })));
    report(itemDone(failure("b", "bad_request", "max_tokens too large")));
    clock.advance(JSON_INTERVAL_MS);
    clock.advance(JSON_INTERVAL_MS); // nothing changed: no second progress object
    report({
      type: "end",
      reason: "completed",
      counts: { total: 4, ok: 1, failed: 1, previouslyDone: 2, inFlight: 0 },
      wallMs: 2000,
    });
    await report.close();

    const objects = parse(out.text());
    expect(objects.map((o) => o.type)).toEqual([
      "run",
      "start",
      "retry",
      "rate_limited",
      "key_disabled",
      "item_failed",
      "progress",
      "end",
    ]);
    for (const object of objects) expect(object.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(objects[1]).toMatchObject({ total: 4, pending: 4, previously_done: 0, concurrency: 2 });
    expect(objects[2]).toMatchObject({
      id: "a",
      attempt: 1,
      error: { type: "server", message: "502" },
      delay_ms: 250,
    });
    expect(objects[3]).toMatchObject({ key: "k1", scope: "team-a", retry_after_ms: 2000 });
    expect(objects[4]).toMatchObject({ key: "k2", provider: "anthropic", reason: "invalid key (401)" });
    expect(objects[5]).toMatchObject({ id: "b", attempts: 1, error: { type: "bad_request" } });
    expect(objects[6]).toMatchObject({
      type: "progress",
      total: 4,
      done: 2,
      ok: 1,
      failed: 1,
      pending: 2,
      requests: 3,
      usage: { input_tokens: 10, output_tokens: 20 },
      cost_usd: 0.01,
      cost_complete: true,
      latency_ms: { p50: 40, p95: 100 },
    });
    expect(objects[7]).toMatchObject({
      type: "end",
      reason: "completed",
      wall_ms: 2000,
      total: 4,
      done: 4,
      previously_done: 2,
      pending: 0,
      eta_s: 0,
    });
  });

  it("the CLI's notices become notice objects", () => {
    const out = sinkText();
    const report = createJsonReporter({ write: out.write, now: () => T0 });
    report.notice("\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n");
    expect(parse(out.text())).toEqual([
      {
        type: "notice",
        time: new Date(T0).toISOString(),
        message: "stopping — waiting for requests in flight (Ctrl-C again to quit now)",
      },
    ]);
  });
});
