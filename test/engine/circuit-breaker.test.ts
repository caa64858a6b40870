import { describe, expect, it } from "vitest";
import { BreakerBoard, CircuitBreaker } from "../../src/engine/circuit-breaker.js";

describe("CircuitBreaker", () => {
  it("stays closed below the threshold, and a success resets the count", () => {
    const breaker = new CircuitBreaker(3, 1_000);
    breaker.failed(0);
    breaker.failed(0);
    breaker.succeeded();
    breaker.failed(0);
    breaker.failed(0);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.admit(0)).toEqual({ ok: true, probe: false });
  });

  it("opens after the threshold of failures in a row and refuses requests for the open time", () => {
    const breaker = new CircuitBreaker(3, 1_000);
    for (let i = 0; i < 3; i++) breaker.failed(100);
    expect(breaker.isOpen).toBe(true);
    expect(breaker.admit(100)).toMatchObject({ ok: false, waitMs: 1_000, probing: false });
    expect(breaker.admit(1_099)).toMatchObject({ ok: false, waitMs: 1, probing: false });
  });

  it("lets one probe through when the open time is over (half-open), and holds the rest", () => {
    const breaker = new CircuitBreaker(3, 1_000);
    for (let i = 0; i < 3; i++) breaker.failed(0);
    expect(breaker.admit(1_000)).toEqual({ ok: true, probe: true });
    const second = breaker.admit(1_000);
    expect(second.ok).toBe(false);
  });

  it("closes when the probe succeeds", () => {
    const breaker = new CircuitBreaker(3, 1_000);
    for (let i = 0; i < 3; i++) breaker.failed(0);
    breaker.admit(1_000);
    breaker.succeeded();
    expect(breaker.isOpen).toBe(false);
    expect(breaker.admit(1_000)).toEqual({ ok: true, probe: false });
    expect(breaker.admit(1_000)).toEqual({ ok: true, probe: false });
  });

  it("opens again for twice as long each time a probe fails, up to the most", () => {
    const breaker = new CircuitBreaker(3, 1_000, 5_000);
    for (let i = 0; i < 3; i++) breaker.failed(0);
    let now = 0;
    const openTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const gate = breaker.admit(now);
      expect(gate.ok).toBe(false);
      const wait = (gate as { waitMs: number }).waitMs;
      openTimes.push(wait);
      now += wait;
      expect(breaker.admit(now)).toEqual({ ok: true, probe: true });
      breaker.failed(now);
    }
    expect(openTimes).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it("starts again from the base open time after it closed", () => {
    const breaker = new CircuitBreaker(2, 1_000);
    breaker.failed(0);
    breaker.failed(0);
    breaker.admit(1_000);
    breaker.failed(1_000); // open for 2 s
    breaker.admit(3_000);
    breaker.succeeded();
    breaker.failed(3_000);
    breaker.failed(3_000);
    expect(breaker.admit(3_000)).toMatchObject({ ok: false, waitMs: 1_000, probing: false });
  });

  it("lets another probe go when the probe's request did not test the model", () => {
    const breaker = new CircuitBreaker(2, 1_000);
    breaker.failed(0);
    breaker.failed(0);
    expect(breaker.admit(1_000)).toEqual({ ok: true, probe: true });
    breaker.released();
    expect(breaker.admit(1_000)).toEqual({ ok: true, probe: true });
  });

  it("keeps the probe for the waiting item that failed most on the model, for a while", () => {
    const breaker = new CircuitBreaker(2, 1_000);
    breaker.failed(0);
    breaker.failed(0);
    expect(breaker.admit(500, 0).ok).toBe(false);
    expect(breaker.admit(600, 2).ok).toBe(false); // waiting, having failed twice
    expect(breaker.admit(1_000, 0)).toMatchObject({ ok: false, probing: true });
    expect(breaker.admit(1_000, 2)).toEqual({ ok: true, probe: true });
    breaker.failed(1_010); // open again until 3,010
    breaker.admit(2_000, 3);
    expect(breaker.admit(3_010, 0)).toMatchObject({ ok: false, probing: true });
    // The item that failed three times did not come: after a while anyone may probe.
    expect(breaker.admit(4_010, 0)).toEqual({ ok: true, probe: true });
  });

  it("does not lengthen the open time for requests that were already in flight when it opened", () => {
    // Eight requests in flight to a dead model all fail; the breaker opens once, for the base time.
    const breaker = new CircuitBreaker(5, 1_000);
    for (let i = 0; i < 8; i++) breaker.failed(0);
    expect(breaker.admit(0)).toMatchObject({ ok: false, waitMs: 1_000, probing: false });
  });
});

describe("BreakerBoard", () => {
  it("keeps one breaker per model", () => {
    const board = new BreakerBoard(() => new CircuitBreaker(1, 1_000));
    board.for("openai:gpt-4o-mini").failed(0);
    expect(board.for("openai:gpt-4o-mini").isOpen).toBe(true);
    expect(board.for("openai:gpt-4o").isOpen).toBe(false);
    expect(board.for("openai:gpt-4o-mini")).toBe(board.for("openai:gpt-4o-mini"));
  });
});
