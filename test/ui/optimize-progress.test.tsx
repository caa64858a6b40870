import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Dashboard } from "../../src/ui/dashboard/Dashboard.js";
import { reduceOptimize } from "../../src/ui/optimize-progress.js";
import { initialProgressState, reduceProgress } from "../../src/ui/progress-state.js";
import { T0 } from "./events.js";

afterEach(cleanup);

const start = {
  type: "optimize_start",
  algo: "reflect",
  train: 36,
  val: 27,
  test: 27,
  models: ["mock:instruct"],
  resumed: false,
  cap_usd: 0.5,
};
const step = (n: number, decision: string, reason: string, best: number, bestVal: number, usd: number) => ({
  type: "optimize_step",
  step: n,
  candidate: n,
  parent: 0,
  decision,
  reason,
  best,
  best_val: bestVal,
  rollouts: n * 20,
  spent_usd: usd,
  cap_usd: 0.5,
});

describe("optimize on the dashboard, from its events", () => {
  it("follows the step, the best val score as it rises, accepted and rejected candidates and the spend", () => {
    let p = reduceOptimize(null, start);
    p = reduceOptimize(p, step(1, "rejected", "not better than its parent on the minibatch", 0, 0.4, 0.01));
    p = reduceOptimize(p, step(2, "best", "better on val: 0.600 vs 0.400", 2, 0.6, 0.02));
    p = reduceOptimize(p, step(3, "kept", "kept on the front", 2, 0.6, 0.03));
    expect(reduceOptimize(p, { type: "warning", message: "x" })).toBe(p);
    expect(reduceOptimize(null, step(1, "best", "x", 1, 1, 0))).toBeNull();
    expect(p).toMatchObject({
      step: 3,
      best: 2,
      bestVal: 0.6,
      rollouts: 60,
      spentUsd: 0.03,
      capUsd: 0.5,
      counts: { rejected: 1, best: 1, kept: 1 },
      bests: [
        { val: 0.4, rollouts: 20, usd: 0.01 },
        { val: 0.6, rollouts: 40, usd: 0.02 },
      ],
    });
    p = reduceOptimize(p, { type: "optimize_end", stop: "budget", winner: 2, significant: true });
    expect(p?.stop).toBe("budget");
  });

  it("the dashboard shows it live: best against rollouts and dollars, decisions and why, spend against the cap", () => {
    let state = reduceProgress(initialProgressState, start, T0);
    state = reduceProgress(
      state,
      step(1, "rejected", "not better than its parent on the minibatch (1.000 vs 2.000)", 0, 0.4, 0.01),
      T0,
    );
    state = reduceProgress(state, step(2, "best", "better on val: 0.600 vs 0.400", 2, 0.6, 0.25), T0);
    const view = { state, now: T0, notices: [], stopRequested: false, keyboard: false, finished: false };
    const frame =
      render(<Dashboard view={view} color={false} onStop={() => {}} onForceExit={() => {}} />).lastFrame() ??
      "";
    expect(frame).toContain("optimize (reflect) · step 2");
    expect(frame).toContain("best #2 at 60.0% on val · 40 rollouts · spent $0.250 of $0.500 cap (50%)");
    expect(frame).toMatch(/best val so far: 40\.0% @ 20 rollouts, \$0\.010 → 60\.0% @ 40 rollouts, \$0\.25/);
    expect(frame).toContain("candidates: 1 accepted (1 new best, 0 kept on the front) · 1 rejected");
    expect(frame).toContain(
      "step 1 #1 rejected: not better than its parent on the minibatch (1.000 vs 2.000)",
    );
    expect(frame).toContain("step 2 #2 best: better on val: 0.600 vs 0.400");
  });
});
