import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Dashboard } from "../../src/ui/dashboard/Dashboard.js";
import { reduceEvalMatrix } from "../../src/ui/eval-matrix.js";
import { initialProgressState, reduceProgress } from "../../src/ui/progress-state.js";
import { T0 } from "./events.js";

afterEach(cleanup);

const score = (prompt: string, provider: string, status: string) => ({
  type: "eval_score",
  prompt,
  provider,
  status,
});

describe("the eval matrix, filled in from eval_score events", () => {
  it("counts each prompt × provider's rows as they are graded; other events change nothing", () => {
    let matrix = reduceEvalMatrix([], score("v1", "openai:gpt-4o-mini", "pass"));
    matrix = reduceEvalMatrix(matrix, score("v2", "openai:gpt-4o-mini", "fail"));
    matrix = reduceEvalMatrix(matrix, score("v1", "openai:gpt-4o-mini", "error"));
    expect(reduceEvalMatrix(matrix, { type: "warning", message: "x" })).toBe(matrix);
    expect(reduceEvalMatrix(matrix, { type: "eval_score", prompt: "v1" })).toBe(matrix);
    expect(matrix).toEqual([
      { prompt: "v1", provider: "openai:gpt-4o-mini", pass: 1, fail: 0, error: 1 },
      { prompt: "v2", provider: "openai:gpt-4o-mini", pass: 0, fail: 1, error: 0 },
    ]);
  });

  it("the dashboard shows it live, a line per cell", () => {
    let state = initialProgressState;
    for (const status of ["pass", "pass", "pass", "fail"])
      state = reduceProgress(state, score("route-v2", "mock:echo", status), T0);
    state = reduceProgress(state, score("route-v3", "mock:echo", "error"), T0);
    const view = { state, now: T0, notices: [], stopRequested: false, keyboard: false, finished: false };
    const frame =
      render(<Dashboard view={view} color={false} onStop={() => {}} onForceExit={() => {}} />).lastFrame() ??
      "";
    expect(frame).toContain("pass rate by prompt × provider");
    expect(frame).toContain("route-v2 × mock:echo   75%  3 pass · 1 fail · 0 error");
    expect(frame).toContain("route-v3 × mock:echo    0%  0 pass · 0 fail · 1 error");
  });
});
