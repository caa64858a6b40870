import { describe, expect, it } from "vitest";
import { barText, createBarReporter } from "../../src/ui/bar-reporter.js";
import { itemDone, replay, result, runEvent, start, T0 } from "./events.js";
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
      "metasync: run run-1\nmetasync: done: 1 items · 1 ok · 0 failed · 0.1 s · 30 tokens · $0.010 · p50 100 ms · p95 100 ms\n",
    );
  });
});
