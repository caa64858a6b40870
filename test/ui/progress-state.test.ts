import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/core/events.js";
import { LATENCY_RESERVOIR_SIZE } from "../../src/ui/latency-reservoir.js";
import { keyStatus, progressMetrics, totalBudget } from "../../src/ui/progress-metrics.js";
import { initialProgressState, RECENT_ERRORS, reduceProgress } from "../../src/ui/progress-state.js";
import { failure, itemDone, itemStart, replay, result, runEvent, start, T0 } from "./events.js";

describe("reduceProgress", () => {
  it("counts done, ok, failed, in flight and what was done before", () => {
    const state = replay([
      [T0, runEvent("resumed")],
      [T0, start(10, 8)],
      [T0, itemStart("a")],
      [T0, itemStart("b")],
      [T0, itemStart("c")],
      [T0 + 100, itemDone(result("a"))],
      [T0 + 200, itemDone(failure("b", "bad_request", "no"))],
    ]);
    expect(state.run).toEqual({ id: "run-1", state: "resumed", cached: 0, retried: 0 });
    expect(state).toMatchObject({
      phase: "running",
      total: 10,
      previouslyDone: 2,
      ok: 1,
      failed: 1,
      inFlight: 1,
    });
    const metrics = progressMetrics(state, T0 + 200);
    expect(metrics).toMatchObject({ done: 4, remaining: 6, queued: 5 });
    expect(metrics.fraction).toBeCloseTo(0.4);
  });

  it("never changes the state it is given", () => {
    const before = replay([[T0, start(3)]]);
    const frozen = structuredClone(before);
    reduceProgress(before, itemDone(result("a")), T0 + 1);
    expect(before).toEqual(frozen);
    expect(initialProgressState.ok).toBe(0);
  });

  it("a retry keeps the item in flight and is listed among the errors", () => {
    const retry: EngineEvent = {
      type: "retry",
      id: "a",
      attempt: 1,
      error: { type: "rate_limited", message: "slow down" },
      delayMs: 500,
    };
    const state = replay([
      [T0, start(1)],
      [T0, itemStart("a")],
      [T0 + 10, retry],
      [T0 + 510, itemStart("a", 2)],
    ]);
    expect(state.inFlight).toBe(1);
    expect(state.retries).toBe(1);
    expect(state.errors).toEqual([
      { at: T0 + 10, id: "a", type: "rate_limited", message: "slow down", attempt: 1, outcome: "retry" },
    ]);
  });

  it(`keeps only the latest ${RECENT_ERRORS} errors, newest last`, () => {
    const events = Array.from(
      { length: 8 },
      (_, i) => [T0 + i, itemDone(failure(`e${i}`, "server", `boom ${i}`))] as const,
    );
    const state = replay([[T0, start(8)], ...events]);
    expect(state.errors.map((e) => e.id)).toEqual(["e3", "e4", "e5", "e6", "e7"]);
    expect(state.errors.every((e) => e.outcome === "failed")).toBe(true);
  });

  it("rates are per minute over the last 60 s, from the results' attempts and usage", () => {
    // 30 items in the first 30 s, then 60 items between 60 s and 90 s: 2 attempts and 30 tokens each.
    const early = Array.from(
      { length: 30 },
      (_, i) => [T0 + i * 1000, itemDone(result(`a${i}`, { attempts: 2 }))] as const,
    );
    const late = Array.from(
      { length: 60 },
      (_, i) => [T0 + 60_000 + i * 500, itemDone(result(`b${i}`, { attempts: 2 }))] as const,
    );
    const state = replay([[T0, start(1000)], ...early, ...late]);
    const at90 = progressMetrics(state, T0 + 90_000);
    // The window (30 s … 90 s] holds the 60 late items only.
    expect(at90.itemsPerMin).toBe(60);
    expect(at90.requestsPerMin).toBe(120);
    expect(at90.tokensPerMin).toBe(60 * 30);
    // Fewer than 60 s in: the rate is over the time since the start.
    const at20 = progressMetrics(replay([[T0, start(100)], ...early.slice(0, 20)]), T0 + 20_000);
    expect(at20.itemsPerMin).toBe(60);
    expect(at20.etaMs).toBe(80 * 1000);
  });

  it("answers from the cache count as done but not as requests, tokens or latency", () => {
    const state = replay([
      [T0, start(2)],
      [T0, itemDone(result("a", { cached: true, latency_ms: 0 }))],
      [T0, itemDone(result("b", { latency_ms: 300 }))],
    ]);
    expect(state.ok).toBe(2);
    expect(state.requests).toBe(1);
    expect(state.inputTokens + state.outputTokens).toBe(30);
    expect(state.latency.values).toEqual([300]);
  });

  it("sums known costs, notes unpriced items and projects the total", () => {
    const state = replay([
      [T0, start(10)],
      [T0, itemDone(result("a", { cost_usd: 0.02 }))],
      [T0, itemDone(result("b", { cost_usd: 0.04 }))],
    ]);
    const metrics = progressMetrics(state, T0);
    expect(metrics.costUsd).toBeCloseTo(0.06);
    expect(metrics.costComplete).toBe(true);
    expect(metrics.projectedUsd).toBeCloseTo(0.3);

    const unpriced = reduceProgress(state, itemDone(result("c", { cost_usd: null })), T0);
    expect(unpriced.unpricedItems).toBe(1);
    expect(progressMetrics(unpriced, T0).costComplete).toBe(false);
    // A failed item used no tokens: its unknown cost is not "unpriced".
    expect(reduceProgress(state, itemDone(failure("d", "auth", "no")), T0).unpricedItems).toBe(0);
  });

  it("p50 and p95 come from a bounded sample of the latencies", () => {
    const events = Array.from(
      { length: 100 },
      (_, i) => [T0, itemDone(result(`i${i}`, { latency_ms: i + 1 }))] as const,
    );
    const metrics = progressMetrics(replay([[T0, start(100)], ...events]), T0);
    expect(metrics.p50Ms).toBe(50);
    expect(metrics.p95Ms).toBe(95);

    const many = Array.from(
      { length: 5000 },
      (_, i) => [T0, itemDone(result(`j${i}`, { latency_ms: i % 1000 }))] as const,
    );
    const big = replay([[T0, start(5000)], ...many]);
    expect(big.latency.values.length).toBe(LATENCY_RESERVOIR_SIZE);
    expect(big.latency.seen).toBe(5000);
    const sampled = progressMetrics(big, T0);
    expect(sampled.p50Ms).toBeGreaterThan(400);
    expect(sampled.p50Ms).toBeLessThan(600);
    expect(sampled.p95Ms).toBeGreaterThan(900);
  });

  it("tracks scopes' limits and each key's state", () => {
    const state = replay([
      [T0, { type: "scope_limits", scope: "team-a", rpm: 500, tpm: 100_000 }],
      [T0, { type: "scope_limits", scope: "team-b", rpm: 300, tpm: null }],
      [T0, { type: "key_state", key: "k1", provider: "openai", scope: "team-a", state: "active" }],
      [T0, { type: "key_state", key: "k2", provider: "openai", scope: "team-b", state: "active" }],
      [T0 + 1000, { type: "rate_limited", key: "k1", scope: "team-a", retryAfterMs: 20_000 }],
      [T0 + 2000, { type: "key_disabled", key: "k2", provider: "openai", reason: "insufficient_quota" }],
    ]);
    expect(totalBudget(state)).toEqual({ rpm: 800, tpm: 100_000 });
    expect(state.scopes["team-a"]).toEqual({
      rpm: 500,
      tpm: 100_000,
      throughput: [],
      coolingUntil: T0 + 21_000,
      rateLimited: 1,
    });
    const k1 = state.keys.k1!;
    expect(keyStatus(k1, T0 + 5000)).toEqual({ state: "cooling", untilMs: 16_000 });
    expect(keyStatus(k1, T0 + 21_000)).toEqual({ state: "active", untilMs: null });
    expect(state.keys.k2).toMatchObject({ state: "disabled", reason: "insufficient_quota", scope: "team-b" });
  });

  it("the end event's counts are the truth", () => {
    const state = replay([
      [T0, start(5)],
      [T0, itemStart("a")],
      [
        T0 + 10,
        { type: "stopping", reason: "interrupted", message: "stopping: waiting for requests in flight" },
      ],
      [
        T0 + 20,
        {
          type: "end",
          reason: "interrupted",
          counts: { total: 5, ok: 1, failed: 0, previouslyDone: 0, inFlight: 0 },
          wallMs: 20,
        },
      ],
    ]);
    expect(state).toMatchObject({
      phase: "ended",
      ok: 1,
      inFlight: 0,
      stopMessage: "stopping: waiting for requests in flight",
    });
    expect(state.end).toEqual({ reason: "interrupted", wallMs: 20 });
    expect(progressMetrics(state, T0 + 5000).elapsedMs).toBe(20);
  });
});
