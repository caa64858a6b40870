import { describe, expect, it } from "vitest";
import { barText, createBarReporter } from "../../src/ui/bar-reporter.js";
import { failure, itemDone, replay, result, runEvent, start, T0 } from "./events.js";
import { ESCAPE } from "./fake-timer.js";

describe("bar reporter", () => {
  it("the bar's text: percent, counts, rates, cost and ETA, no colour", () => {
    const state = replay([
      [T0, start(100)],
      ...Array.from({ length: 25 }, (_, i) => [T0 + i * 400, itemDone(result(`i${i}`))] as const),
    ]);
    const text = barText(state, T0 + 10_000, 120);
    expect(text).toBe(
      `${"█".repeat(8)}${"░".repeat(22)} 25% · 25/100 · 0 failed · 150 req/min · 4.5k tok/min · $0.250 · ETA 30s`,
    );
    expect(text).not.toMatch(ESCAPE);
  });

  it("off a terminal there is no bar: only the run's line and the summary", async () => {
    const written: string[] = [];
    const stream = {
      write: (text: string) => written.push(text),
      isTTY: false,
      columns: 80,
    } as unknown as NodeJS.WriteStream;
    const report = createBarReporter({ stream, now: () => T0 });
    report(runEvent());
    report(start(1));
    report(itemDone(result("a")));
    report({
      type: "end",
      reason: "completed",
      counts: { total: 1, ok: 1, failed: 0, previouslyDone: 0, inFlight: 0 },
      wallMs: 100,
    });
    await report.close();
    expect(written.join("")).toBe(
      "metasync: run run-1\nmetasync: done: 1 item · 1 ok · 0 failed · 0.1 s · 30 tokens · $0.010 · p50 100 ms · p95 100 ms\n",
    );
  });

  it("off a terminal, prints the first error of each type as it happens and the errors by type at the end", async () => {
    const written: string[] = [];
    const stream = {
      write: (text: string) => written.push(text),
      isTTY: false,
      columns: 80,
    } as unknown as NodeJS.WriteStream;
    const report = createBarReporter({ stream, now: () => T0 });
    report(start(3));
    const refused = "openai: cannot connect to http://127.0.0.1:1/v1 (ECONNREFUSED)";
    report({
      type: "retry",
      id: "a",
      attempt: 1,
      error: { type: "connection", message: refused },
      delayMs: 400,
    });
    report({
      type: "retry",
      id: "b",
      attempt: 1,
      error: { type: "connection", message: refused },
      delayMs: 400,
    });
    report(itemDone(failure("c", "server", "openai: 500 boom (http://127.0.0.1:4000/v1)")));
    report({
      type: "end",
      reason: "completed",
      counts: { total: 3, ok: 0, failed: 1, previouslyDone: 0, inFlight: 0 },
      wallMs: 100,
    });
    await report.close();
    const text = written.join("");
    expect(text).toContain(`connection error, item a (attempt 1, retrying): ${refused}\n`);
    expect(text).not.toContain("item b");
    expect(text).toContain(
      "server error, item c (attempt 1, failed): openai: 500 boom (http://127.0.0.1:4000/v1)\n",
    );
    expect(text).toMatch(/\nmetasync: errors: connection 2 retried · server 1 failed\n$/);
  });
});
