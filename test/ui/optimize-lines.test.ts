import { describe, expect, it } from "vitest";
import { createPlainReporter } from "../../src/ui/plain-reporter.js";

describe("--progress plain shows optimize's steps", () => {
  it("prints a line per candidate decision with the best val score, rollouts and dollars against the cap", async () => {
    let text = "";
    const reporter = createPlainReporter({
      write: (line) => (text += line),
      now: () => Date.UTC(2026, 10, 29, 12, 0, 0),
    });
    reporter({ type: "optimize_start", algo: "reflect", train: 36, val: 27, test: 27, resumed: true });
    reporter({
      type: "optimize_step",
      step: 3,
      candidate: 3,
      parent: 0,
      decision: "best",
      reason: "better on val: 0.519 vs 0.000",
      best: 3,
      best_val: 0.5186,
      rollouts: 69,
      spent_usd: 0.0123,
      cap_usd: 1,
    });
    reporter({ type: "optimize_end", stop: "budget", winner: 3, significant: true });
    await reporter.close();
    expect(text).toBe(
      "[2026-11-29T12:00:00Z] optimize (reflect): 36 train, 27 val, 27 sealed test rows, resuming from its checkpoint\n" +
        "[2026-11-29T12:00:00Z] step 3 candidate #3: best — better on val: 0.519 vs 0.000 · best #3 at 51.9% on val · 69 rollouts · $0.0123 of $1\n" +
        "[2026-11-29T12:00:00Z] optimize: stopped (budget); winner #3, a significant gain on the sealed test\n",
    );
  });
});
