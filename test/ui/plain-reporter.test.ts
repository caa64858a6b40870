import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/core/events.js";
import { createPlainReporter, PLAIN_INTERVAL_MS } from "../../src/ui/plain-reporter.js";
import { failure, itemDone, itemStart, result, runEvent, start, T0 } from "./events.js";
import { ESCAPE, fakeTimer, sinkText } from "./fake-timer.js";

/** A plain line's time stamp: ISO 8601 in UTC, to the second. */
const stamp = (epochMs: number) => `[${new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z")}]`;

describe("plain reporter", () => {
  it("prints the run, a progress line every interval and a summary, without escape codes", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createPlainReporter({ write: out.write, now: clock.now, every: clock.every });
    report(runEvent());
    report(start(10_000));
    // 4,210 items in the first 5 s, priced at $0.000456 each.
    for (let i = 0; i < 4210; i++) {
      clock.set(T0 + Math.floor((i * 5000) / 4210));
      report(itemDone(result(`i${i}`, { cost_usd: 0.000456 })));
    }
    clock.set(T0);
    clock.advance(PLAIN_INTERVAL_MS);
    report({
      type: "end",
      reason: "stopped",
      counts: { total: 10_000, ok: 4210, failed: 0, previouslyDone: 0, inFlight: 0 },
      wallMs: 5000,
    });
    await report.close();

    const lines = out.text().split("\n");
    expect(lines[0]).toBe("metasync: run run-1");
    expect(lines[1]).toBe(
      `${stamp(T0 + 5000)} 4,210/10,000 (42%) · 0 failed · 51k req/min · 1.5M tok/min · $1.92 · ETA 7s`,
    );
    expect(lines[2]).toMatch(
      /^metasync: stopped: 10,000 items · 4,210 ok · 0 failed · 5,790 pending · 5\.0 s · 126k tokens · \$1\.92 · p50 100 ms · p95 100 ms$/,
    );
    expect(out.text()).not.toMatch(ESCAPE);
  });

  it("prints nothing between ticks, and stops ticking at the end", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createPlainReporter({
      write: out.write,
      now: clock.now,
      every: clock.every,
      intervalMs: 1000,
    });
    report(start(3));
    report(itemStart("a"));
    report(itemDone(result("a", { cost_usd: null })));
    expect(out.text()).toBe("");
    clock.advance(1000);
    expect(out.chunks).toHaveLength(1);
    expect(out.text().startsWith(`${stamp(T0 + 1000)} 1/3 (33%) · 0 failed · `)).toBe(true);
    expect(out.text()).toContain("cost unknown");
    report({
      type: "end",
      reason: "completed",
      counts: { total: 3, ok: 3, failed: 0, previouslyDone: 0, inFlight: 0 },
      wallMs: 1000,
    });
    expect(clock.active).toBe(0);
    await report.close();
  });

  it("prints a line when a key is disabled, and the CLI's notices as they are", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createPlainReporter({ write: out.write, now: clock.now, every: clock.every });
    report(start(2));
    const disabled: EngineEvent = {
      type: "key_disabled",
      key: "sk-…a1b2",
      provider: "openai",
      reason: "insufficient_quota",
    };
    report(disabled);
    report(disabled); // a second request in flight on the same key: no second line
    report({ type: "rate_limited", key: "sk-…a1b2", scope: "team-a", retryAfterMs: 1000 });
    report.notice("\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n");
    // The CLI has said it is stopping; the engine's own event adds nothing.
    report({ type: "stopping", reason: "interrupted", message: "stopping: waiting for requests in flight" });
    report(itemDone(failure("b", "auth", "bad key")));
    expect(out.text()).toBe(
      `${stamp(T0)} key sk-…a1b2 (openai) disabled: insufficient_quota\n` +
        "\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n" +
        `${stamp(T0)} auth error, item b (attempt 1, failed): bad key\n`,
    );
    await report.close();
    expect(clock.active).toBe(0);
  });

  it("a resumed run's summary names what was done before", () => {
    const out = sinkText();
    const clock = fakeTimer(T0);
    const report = createPlainReporter({ write: out.write, now: clock.now, every: clock.every });
    report({ type: "run", runId: "r", state: "resumed", cached: 48, retried: 2 });
    report(start(50, 2));
    report({
      type: "end",
      reason: "completed",
      counts: { total: 50, ok: 2, failed: 0, previouslyDone: 48, inFlight: 0 },
      wallMs: 1200,
    });
    expect(out.text()).toBe(
      "metasync: resuming run r (48 answered from the response cache, 2 failed items queued again)\n" +
        "metasync: done: 50 items (48 done before) · 2 ok · 0 failed · 1.2 s\n",
    );
  });

  it("prints the first error of each type as it happens, counts every one in the progress lines and by type at the end", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createPlainReporter({
      write: out.write,
      now: clock.now,
      every: clock.every,
      intervalMs: 1000,
    });
    report(start(4));
    const refused = "openai: cannot connect to http://127.0.0.1:1/v1 (ECONNREFUSED)";
    for (const id of ["a", "b", "c"]) {
      report(itemStart(id));
      report({
        type: "retry",
        id,
        attempt: 1,
        error: { type: "connection", message: refused },
        delayMs: 400,
      });
    }
    report(itemDone(failure("d", "server", "openai: 500 boom (http://127.0.0.1:4000/v1)\nmore detail")));
    expect(out.text()).toBe(
      `${stamp(T0)} connection error, item a (attempt 1, retrying): ${refused}\n` +
        `${stamp(T0)} server error, item d (attempt 1, failed): openai: 500 boom (http://127.0.0.1:4000/v1)\n`,
    );
    clock.advance(1000);
    expect(out.chunks.at(-1)).toContain(" · 1 failed · errors: connection 3, server 1 · ");
    report({
      type: "end",
      reason: "completed",
      counts: { total: 4, ok: 3, failed: 1, previouslyDone: 0, inFlight: 0 },
      wallMs: 1000,
    });
    expect(out.chunks.at(-1)).toMatch(
      /^metasync: done: 4 items · .*\nmetasync: errors: connection 3 retried · server 1 failed\n$/,
    );
    await report.close();
  });
});
