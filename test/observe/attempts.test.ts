import { describe, expect, it } from "vitest";
import { AttemptTracker } from "../../src/observe/attempts.js";
import { answered, done, ended, failed, retried, started } from "./events.js";

describe("request attempts from the engine's events", () => {
  it("an answer ends its attempt with the item's result", () => {
    const attempts = new AttemptTracker();
    expect(attempts.observe(started("a"), 100)).toEqual([]);
    const [attempt] = attempts.observe(done(answered("a")), 400);
    expect(attempt).toMatchObject({
      id: "a",
      attempt: 1,
      model: "openai:gpt-4o-mini",
      startedAt: 100,
      endedAt: 400,
    });
    expect(attempt?.error).toBeUndefined();
    expect(attempt?.result?.usage).toEqual({ input_tokens: 10, output_tokens: 20 });
  });

  it("a retry ends an attempt with its error; the next attempt ends with the item", () => {
    const attempts = new AttemptTracker();
    attempts.observe(started("a"), 0);
    expect(attempts.observe(retried("a", "timeout"), 50)).toEqual([
      expect.objectContaining({
        attempt: 1,
        endedAt: 50,
        error: { type: "timeout", message: "timeout error" },
      }),
    ]);
    attempts.observe(started("a", 2), 300);
    expect(attempts.observe(done(failed("a", "bad_request")), 350)).toEqual([
      expect.objectContaining({
        attempt: 2,
        startedAt: 300,
        error: expect.objectContaining({ type: "bad_request" }),
      }),
    ]);
  });

  it("a failed attempt ends with its own error (a 429 waited out, a refused key), at the time it failed", () => {
    const attempts = new AttemptTracker();
    attempts.observe(started("a"), 0);
    const failed = {
      type: "attempt_failed" as const,
      id: "a",
      attempt: 1,
      model: "openai:gpt-4o-mini",
      error: { type: "rate_limited", message: "429" },
      latencyMs: 120,
    };
    expect(attempts.observe(failed, 120)).toEqual([
      expect.objectContaining({
        attempt: 1,
        endedAt: 120,
        error: expect.objectContaining({ type: "rate_limited" }),
      }),
    ]);
    expect(attempts.observe(started("a", 2), 900)).toEqual([]);
  });

  it("an attempt still open when the item is sent again ends unnamed", () => {
    const attempts = new AttemptTracker();
    attempts.observe(started("a"), 0);
    expect(attempts.observe(started("a", 2), 900)).toEqual([
      expect.objectContaining({
        attempt: 1,
        endedAt: 900,
        error: expect.objectContaining({ type: "_OTHER" }),
      }),
    ]);
  });

  it("attempts in flight when the run ends were cancelled", () => {
    const attempts = new AttemptTracker();
    attempts.observe(started("a"), 0);
    attempts.observe(started("b"), 0);
    attempts.observe(done(answered("a")), 10);
    expect(attempts.observe(ended(1, 0, 2), 20)).toEqual([
      expect.objectContaining({ id: "b", endedAt: 20, error: { type: "cancelled", message: "cancelled" } }),
    ]);
    expect(attempts.finishAll(30)).toEqual([]);
  });
});
