import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/core/errors.js";
import type { EngineEvent } from "../../src/core/events.js";
import type { Completion, Provider } from "../../src/core/provider.js";
import type { Item, ItemResult } from "../../src/core/types.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { runBatch } from "../../src/engine/run-batch.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { VirtualClock } from "../support/virtual-clock.js";

/** One request as the fake provider sees it: which prompt, with which key, the how-many-th for the prompt. */
interface Call {
  prompt: string;
  key: string | undefined;
  call: number;
}

const answer = (text: string): Completion => ({
  text,
  usage: { input_tokens: 2, output_tokens: 3 },
  finishReason: "stop",
});

function items(prompts: readonly string[]): Item[] {
  return prompts.map((prompt, index) => ({
    index,
    id: prompt,
    line: index + 1,
    request: {
      model: { provider: "fake", model: "m" },
      messages: [{ role: "user", content: prompt }],
      params: {},
    },
  }));
}

/**
 * Runs `prompts` through runBatch in virtual time against a fake provider that answers each request
 * with `respond` after `latencyMs`, over `keys` (one keyless key by default).
 */
async function run(
  prompts: readonly string[],
  respond: (call: Call) => Completion,
  options: {
    keys?: (string | undefined)[];
    concurrency?: number;
    maxAttempts?: number;
    latencyMs?: (prompt: string) => number;
  } = {},
) {
  const clock = new VirtualClock();
  const started = clock.now();
  const events: EngineEvent[] = [];
  const calls: Call[] = [];
  const perPrompt = new Map<string, number>();
  const provider: Provider = {
    name: "fake",
    async complete(request, context) {
      const prompt = String(request.messages.at(-1)?.content);
      const call = (perPrompt.get(prompt) ?? 0) + 1;
      perPrompt.set(prompt, call);
      calls.push({ prompt, key: context.key, call });
      await clock.sleep(options.latencyMs?.(prompt) ?? 10);
      return respond({ prompt, key: context.key, call });
    },
  };
  const specs = (options.keys ?? [undefined]).map((value) => ({
    provider: "fake",
    value,
    limits: {},
    weight: 1,
  }));
  const keys = buildPoolKeys(["fake"], specs, {}, { defaults: {}, baseUrl: () => undefined });
  const ledger = new MemoryLedger(items(prompts));
  const done = runBatch(
    {
      ledger,
      total: prompts.length,
      concurrency: options.concurrency ?? 4,
      clock,
      runner: {
        provider: async () => provider,
        keys: new KeyPool(keys, "round-robin", clock, (event) => events.push(event)),
        breakers: new BreakerBoard(),
        fallbacks: [],
        promptTokens: () => 10,
        costOf: () => null,
        maxAttempts: options.maxAttempts ?? 3,
        timeoutMs: undefined,
        stream: false,
      },
    },
    (event) => events.push(event),
  );
  await clock.runAll();
  const outcome = await done;
  const result = (id: string) => ledger.results.get(id) as ItemResult;
  return { outcome, result, events, calls, elapsedMs: clock.now() - started };
}

const ofType = (events: EngineEvent[], type: EngineEvent["type"]) => events.filter((e) => e.type === type);

describe("runItem: rate limits", () => {
  it("fails a 429 for a request larger than the limit after --max-attempts, without cooling its scope", async () => {
    const tooLarge = () => {
      throw new ProviderError(
        "openai: 429 Request too large for m on tokens per min (TPM): Limit 30000, Requested 50000.",
        { type: "rate_limited", status: 429, exceedsLimit: true },
      );
    };
    const { result, calls, events, outcome } = await run(["huge", "fine"], ({ prompt }) =>
      prompt === "huge" ? tooLarge() : answer("ok"),
    );
    expect(result("huge")).toMatchObject({
      status: "error",
      attempts: 3,
      error: { type: "rate_limited", status: 429 },
    });
    expect(result("huge").rate_limited_retries).toBeUndefined();
    expect(calls.filter((c) => c.prompt === "huge")).toHaveLength(3);
    expect(ofType(events, "retry")).toHaveLength(2);
    expect(ofType(events, "rate_limited")).toEqual([]);
    expect(result("fine")).toMatchObject({ status: "ok", attempts: 1 });
    expect(outcome.counts).toMatchObject({ ok: 1, failed: 1 });
  });

  it("counts 429s that wait for the budget apart: attempts never exceeds --max-attempts", async () => {
    const { result } = await run(
      ["busy"],
      ({ call }) => {
        if (call <= 4)
          throw new ProviderError("slow down", { type: "rate_limited", status: 429, retryAfterMs: 100 });
        return answer("done");
      },
      { maxAttempts: 2 },
    );
    expect(result("busy")).toMatchObject({ status: "ok", attempts: 1, rate_limited_retries: 4 });
  });
});

describe("runItem and the key pool: refusals", () => {
  const refuse = (status: 401 | 403) =>
    new ProviderError(`fake: ${status} refused`, { type: "auth", status });

  it("fails a row refused 403 on every key as its own error after three refusals; the keys stay", async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => (i === 3 ? "forbidden" : `p${i}`));
    const { result, calls, events, outcome } = await run(
      prompts,
      ({ prompt }) => {
        if (prompt === "forbidden") throw refuse(403);
        return answer("ok");
      },
      { keys: ["k1", "k2", "k3"] },
    );
    expect(outcome.reason).toBe("completed");
    expect(result("forbidden")).toMatchObject({
      status: "error",
      attempts: 3,
      error: { type: "auth", status: 403 },
    });
    expect(calls.filter((c) => c.prompt === "forbidden")).toHaveLength(3);
    expect(ofType(events, "key_disabled")).toEqual([]);
    expect(outcome.counts).toMatchObject({ ok: 11, failed: 1 });
  });

  it("does not take out the only key for one row refused 401 before the key has worked", async () => {
    const prompts = ["bad", "p1", "p2", "p3", "p4"];
    const { result, events, outcome } = await run(
      prompts,
      ({ prompt }) => {
        if (prompt === "bad") throw refuse(401);
        return answer("ok");
      },
      { keys: ["only"] },
    );
    expect(outcome.reason).toBe("completed");
    expect(result("bad")).toMatchObject({ status: "error", error: { type: "auth", status: 401 } });
    expect(ofType(events, "key_disabled")).toEqual([]);
    expect(outcome.counts).toMatchObject({ ok: 4, failed: 1 });
  });

  it("gets a good row through two dead keys in a row", async () => {
    const prompts = Array.from({ length: 30 }, (_, i) => `p${i}`);
    const { calls, events, outcome } = await run(
      prompts,
      ({ key }) => {
        if (key === "revoked") throw refuse(401);
        if (key === "broke") {
          throw new ProviderError("fake: 429 insufficient_quota", { type: "quota_exhausted", status: 429 });
        }
        return answer("ok");
      },
      { keys: ["good-1", "revoked", "broke", "good-2"], concurrency: 8 },
    );
    expect(outcome.counts).toMatchObject({ ok: 30, failed: 0 });
    expect(calls.filter((c) => c.key === "revoked")).toHaveLength(2);
    expect(calls.filter((c) => c.key === "broke")).toHaveLength(2);
    expect(ofType(events, "key_disabled")).toHaveLength(2);
  });

  it("costs a key without quota beside a good one two requests at -c 16", async () => {
    const prompts = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const { calls, events, outcome } = await run(
      prompts,
      ({ key }) => {
        if (key === "broke") {
          throw new ProviderError("fake: 429 insufficient_quota", { type: "quota_exhausted", status: 429 });
        }
        return answer("ok");
      },
      { keys: ["broke", "good"], concurrency: 16, latencyMs: () => 50 },
    );
    expect(outcome.counts).toMatchObject({ ok: 40, failed: 0 });
    expect(calls.filter((c) => c.key === "broke")).toHaveLength(2);
    expect(ofType(events, "key_disabled")).toHaveLength(1);
  });
});

describe("runItem and the circuit breaker", () => {
  it("never spends an attempt waiting for an open circuit: items that fail twice still succeed on their third", async () => {
    // Ten items fail twice each (the breaker opens), while a slow one answers in between.
    const flaky = Array.from({ length: 10 }, (_, i) => `flaky ${i}`);
    const { result, outcome } = await run(
      ["slow", ...flaky],
      ({ prompt, call }) => {
        if (prompt.startsWith("flaky") && call <= 2) {
          throw new ProviderError(`upstream 500 for ${prompt}`, { type: "server", status: 500 });
        }
        return answer(prompt);
      },
      { concurrency: 11, maxAttempts: 3, latencyMs: (prompt) => (prompt === "slow" ? 1_000 : 10) },
    );
    expect(outcome.counts).toMatchObject({ ok: 11, failed: 0 });
    for (const id of flaky) expect(result(id)).toMatchObject({ status: "ok", attempts: 3 });
  });

  it("fails the items of a dead model promptly, each with its own error or saying it was not sent", async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => `q${i}`);
    const { result, calls, elapsedMs, outcome } = await run(
      prompts,
      ({ prompt }) => {
        throw new ProviderError(`upstream 500 for ${prompt}`, { type: "server", status: 500 });
      },
      { concurrency: 4, maxAttempts: 2 },
    );
    expect(outcome.counts).toMatchObject({ ok: 0, failed: 8 });
    expect(calls.length).toBeLessThanOrEqual(8 * 2);
    expect(elapsedMs).toBeLessThan(30_000);
    for (const id of prompts) {
      const { error, status } = result(id);
      expect(status).toBe("error");
      expect(error?.type).toBe("server");
      const sent = calls.some((c) => c.prompt === id);
      // An item reports what happened to it, never another item's error.
      if (sent) expect(error?.message).toMatch(new RegExp(`^upstream 500 for ${id}\\b`));
      else expect(error?.message).toMatch(/^not sent: fake:m keeps failing/);
    }
  });
});
