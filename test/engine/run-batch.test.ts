import { describe, expect, it } from "vitest";
import { type Clock, systemClock } from "../../src/core/clock.js";
import { ProviderError } from "../../src/core/errors.js";
import type { EngineEvent } from "../../src/core/events.js";
import type { Completion, CompletionRequest, Provider } from "../../src/core/provider.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { type RunBatchOptions, runBatch } from "../../src/engine/run-batch.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { fakeItems } from "../support/fake-items.js";

/** Virtual time: sleeping advances it at once and is recorded. */
class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  random(): number {
    return 0.5;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.time += ms;
  }
}

function answer(text: string): Completion {
  return { text, usage: { input_tokens: 2, output_tokens: 3 }, finishReason: "stop" };
}

/** A provider that answers each request with `respond`, counting calls per prompt. */
function fakeProvider(respond: (request: CompletionRequest, call: number) => Promise<Completion>) {
  const calls = new Map<string, number>();
  const provider: Provider = {
    name: "fake",
    complete(request) {
      const prompt = String(request.messages.at(-1)?.content);
      const call = (calls.get(prompt) ?? 0) + 1;
      calls.set(prompt, call);
      return respond(request, call);
    },
  };
  return { provider, calls };
}

async function run(
  ledger: MemoryLedger,
  provider: Provider,
  options: Partial<Omit<RunBatchOptions, "runner">> = {},
  events: EngineEvent[] = [],
  runner: Partial<RunBatchOptions["runner"]> = {},
) {
  return runBatch(
    {
      ledger,
      total: ledger.items.length,
      concurrency: 4,
      ...options,
      runner: {
        provider: async () => provider,
        keys: new KeyPool(
          buildPoolKeys(["fake"], [], {}, { defaults: {}, baseUrl: () => undefined }),
          "round-robin",
          options.clock ?? systemClock,
          (event) => events.push(event),
        ),
        breakers: new BreakerBoard(),
        fallbacks: [],
        promptTokens: () => 10,
        costOf: () => null,
        maxAttempts: 5,
        timeoutMs: undefined,
        stream: false,
        ...runner,
      },
    },
    (event) => events.push(event),
  );
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("runBatch", () => {
  it("sends a rate-limited request again after the wait the provider asked for, then succeeds", async () => {
    const clock = new FakeClock();
    const { provider, calls } = fakeProvider(async (_request, call) => {
      if (call === 1) {
        throw new ProviderError("slow down", { type: "rate_limited", status: 429, retryAfterMs: 1_500 });
      }
      clock.time += 120;
      return answer("done");
    });
    const ledger = new MemoryLedger(fakeItems(1));
    const events: EngineEvent[] = [];
    const outcome = await run(ledger, provider, { clock }, events);

    expect(clock.sleeps).toEqual([1_500]);
    expect(calls.get("prompt 1")).toBe(2);
    // The 429 was a wait for the budget, counted apart: it cost the item no attempt.
    expect(ledger.results.get("item-1")).toMatchObject({
      status: "ok",
      output: "done",
      attempts: 1,
      rate_limited_retries: 1,
      latency_ms: 120,
      error: null,
    });
    expect(events.find((e) => e.type === "rate_limited")).toMatchObject({ retryAfterMs: 1_500 });
    expect(outcome).toMatchObject({ reason: "completed", counts: { ok: 1, failed: 0 } });
  });

  it("records a non-retryable error as the item's result after one attempt, and goes on", async () => {
    const clock = new FakeClock();
    const { provider, calls } = fakeProvider(async (request) => {
      if (request.messages.at(-1)?.content === "prompt 2") {
        throw new ProviderError("invalid schema", { type: "bad_request", status: 400, requestId: "req_9" });
      }
      return answer("fine");
    });
    const ledger = new MemoryLedger(fakeItems(3));
    const outcome = await run(ledger, provider, { clock });

    expect(calls.get("prompt 2")).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(ledger.results.get("item-2")).toMatchObject({
      id: "item-2",
      status: "error",
      output: null,
      attempts: 1,
      error: { type: "bad_request", message: "invalid schema", status: 400 },
      request_id: "req_9",
    });
    expect([...ledger.results.values()].map((r) => r.status).sort()).toEqual(["error", "ok", "ok"]);
    expect(outcome.counts).toMatchObject({ ok: 2, failed: 1 });
  });

  it("gives up after maxAttempts on an error that stays transient, with backoff between attempts", async () => {
    const clock = new FakeClock();
    const { provider, calls } = fakeProvider(async () => {
      throw new ProviderError("upstream 500", { type: "server", status: 500 });
    });
    const ledger = new MemoryLedger(fakeItems(1));
    await run(ledger, provider, { clock }, [], { maxAttempts: 3 });

    expect(calls.get("prompt 1")).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[1]).toBeGreaterThan(clock.sleeps[0] ?? Number.POSITIVE_INFINITY);
    expect(ledger.results.get("item-1")).toMatchObject({
      status: "error",
      attempts: 3,
      error: { type: "server", message: "upstream 500", status: 500 },
    });
  });

  it("never has more requests in flight than the concurrency", async () => {
    let active = 0;
    let most = 0;
    const { provider } = fakeProvider(async (request) => {
      active++;
      most = Math.max(most, active);
      const waits = Number(String(request.messages.at(-1)?.content).split(" ")[1]) % 5;
      for (let i = 0; i <= waits; i++) await tick();
      active--;
      return answer("ok");
    });
    const ledger = new MemoryLedger(fakeItems(60));
    const outcome = await run(ledger, provider, { clock: new FakeClock(), concurrency: 4 });

    expect(most).toBe(4);
    expect(ledger.results.size).toBe(60);
    expect(outcome.counts).toMatchObject({ ok: 60, inFlight: 0 });
  });

  it("stops admitting work when stopped; requests in flight finish, the rest stay without results", async () => {
    const stop = new AbortController();
    const started: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { provider } = fakeProvider(async (request) => {
      started.push(String(request.messages.at(-1)?.content));
      if (started.length === 2) {
        stop.abort();
        setImmediate(release);
      }
      await gate;
      return answer("finished in flight");
    });
    const ledger = new MemoryLedger(fakeItems(10));
    const events: EngineEvent[] = [];
    const outcome = await run(
      ledger,
      provider,
      { clock: new FakeClock(), concurrency: 2, signal: stop.signal },
      events,
    );

    expect(started).toEqual(["prompt 1", "prompt 2"]);
    expect([...ledger.results.keys()].sort()).toEqual(["item-1", "item-2"]);
    expect(ledger.results.get("item-1")?.status).toBe("ok");
    expect(outcome.reason).toBe("interrupted");
    expect(outcome.counts).toMatchObject({ total: 10, ok: 2, failed: 0 });
    expect(events.some((e) => e.type === "stopping")).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "end", reason: "interrupted" });
  });

  it("sends nothing when stopped before it starts", async () => {
    const stop = new AbortController();
    stop.abort();
    const { provider, calls } = fakeProvider(async () => answer("x"));
    const ledger = new MemoryLedger(fakeItems(3));
    const outcome = await run(ledger, provider, { clock: new FakeClock(), signal: stop.signal });
    expect(calls.size).toBe(0);
    expect(ledger.results.size).toBe(0);
    expect(outcome.reason).toBe("interrupted");
  });
});
