import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, InterruptedError, StoppedEarlyError, UsageError } from "../../src/core/errors.js";
import type { EngineEvent } from "../../src/core/events.js";
import type { AdmitDecision, Limiter, LimiterFactory } from "../../src/core/limiter.js";
import type { Item, ItemRequest } from "../../src/core/types.js";
import { loadPriceTable } from "../../src/cost/price-table.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { LimitScope } from "../../src/limits/limit-scope.js";
import { SendingSession, type SessionSettings } from "../../src/session/sending-session.js";

const ECHO = { provider: "mock", model: "echo" };

function request(text: string, model = ECHO): ItemRequest {
  return { model, messages: [{ role: "user", content: text }], params: {} };
}

function items(count: number, params: ItemRequest["params"] = {}): Item[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    id: `i${index + 1}`,
    line: index + 1,
    request: { ...request(`prompt ${index + 1}`), params },
  }));
}

function settings(overrides: Partial<SessionSettings> = {}): SessionSettings {
  return {
    models: [ECHO],
    strategy: "round-robin",
    prices: loadPriceTable(),
    maxAttempts: 3,
    timeoutMs: 5_000,
    stream: false,
    concurrency: 4,
    env: {},
    ...overrides,
  };
}

/** A price file that prices the mock at $1 per million input and output tokens. */
function mockPrices(): string {
  const dir = mkdtempSync(join(tmpdir(), "session-"));
  const path = join(dir, "prices.yaml");
  writeFileSync(path, "mock:echo: {input: 1000000, output: 1000000}\n");
  return path;
}

describe("SendingSession", () => {
  it("sends a ledger's items and records every result in it", async () => {
    const session = await SendingSession.open(settings());
    try {
      const ledger = new MemoryLedger(items(5));
      const outcome = await session.sendBatch({ ledger, total: 5 });
      expect(outcome.reason).toBe("completed");
      expect(outcome.counts).toMatchObject({ ok: 5, failed: 0 });
      expect(ledger.entries().map(({ result }) => result?.output)).toEqual([
        "prompt 1",
        "prompt 2",
        "prompt 3",
        "prompt 4",
        "prompt 5",
      ]);
    } finally {
      session.close();
    }
  });

  it("sends one request and resolves with its result, through the same keys and scopes", async () => {
    const events: EngineEvent[] = [];
    const session = await SendingSession.open(settings({ emit: (event) => events.push(event) }));
    try {
      const result = await session.send(request("judge this"), { id: "judge-1" });
      expect(result).toMatchObject({ id: "judge-1", status: "ok", output: "judge this", attempts: 1 });
      await session.sendBatch({ ledger: new MemoryLedger(items(2)), total: 2 });
      const { scopes, keys } = session.snapshot();
      expect(scopes).toHaveLength(1);
      expect(scopes[0]?.requests).toBe(3);
      expect(Object.values(keys)[0]).toMatchObject({ provider: "mock", requests: 3, successes: 3 });
      expect(events.some((e) => e.type === "item_start" && e.id === "judge-1")).toBe(true);
    } finally {
      session.close();
    }
  });

  it("carries spend over from one batch to the next: the cap holds across them", async () => {
    // At $1 a token, each echo of "prompt N" costs a few dollars and reserves up to its max_tokens more.
    const prices = loadPriceTable({ overrides: mockPrices() });
    const session = await SendingSession.open(settings({ prices, maxCostUsd: 60, concurrency: 1 }));
    try {
      const params = { max_tokens: 10 };
      const first = await session.sendBatch({ ledger: new MemoryLedger(items(2, params)), total: 2 });
      expect(first.counts.ok).toBe(2);
      const spent = session.snapshot().spentUsd ?? 0;
      expect(spent).toBeGreaterThan(0);
      const second = await session.sendBatch({ ledger: new MemoryLedger(items(20, params)), total: 20 });
      expect(second.reason).toBe("stopped");
      expect(second.stopError).toBeInstanceOf(StoppedEarlyError);
      expect(session.snapshot().spentUsd).toBeLessThanOrEqual(60);
      await expect(session.send(request("one more"))).rejects.toBeInstanceOf(StoppedEarlyError);
    } finally {
      session.close();
    }
  });

  it("counts spend from before the session (a resumed run) against the cap", async () => {
    const prices = loadPriceTable({ overrides: mockPrices() });
    const session = await SendingSession.open(settings({ prices, maxCostUsd: 10, spentBeforeUsd: 9.5 }));
    try {
      await expect(session.send(request("a long enough prompt"))).rejects.toThrow(/spending cap reached/);
    } finally {
      session.close();
    }
  });

  it("refuses a request for a provider it was not opened for", async () => {
    const session = await SendingSession.open(settings());
    try {
      await expect(session.send(request("x", { provider: "openai", model: "gpt-4o-mini" }))).rejects.toThrow(
        UsageError,
      );
    } finally {
      session.close();
    }
  });

  it("refuses to open without a key for a provider that needs one, before anything is sent", async () => {
    await expect(
      SendingSession.open(settings({ models: [{ provider: "openai", model: "gpt-4o-mini" }] })),
    ).rejects.toThrow(ConfigError);
  });

  it("ends a request whose signal aborts with InterruptedError", async () => {
    const session = await SendingSession.open(
      settings({ models: [{ provider: "mock", model: "echo?latency_ms=5000" }] }),
    );
    try {
      const stop = new AbortController();
      const pending = session.send(request("slow", { provider: "mock", model: "echo?latency_ms=5000" }), {
        signal: stop.signal,
      });
      setTimeout(() => stop.abort(), 20);
      await expect(pending).rejects.toBeInstanceOf(InterruptedError);
    } finally {
      session.close();
    }
  });

  it("sends through the injected fetch with the real OpenAI SDK", async () => {
    const seen: string[] = [];
    const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push(String(url));
      const body = JSON.parse(String(init?.body)) as { messages: { content: string }[] };
      return new Response(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 0,
          model: "gpt-4o-mini",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: `seen: ${body.messages[0]?.content}` },
              finish_reason: "stop",
            },
          ],
          usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      );
    }) as typeof globalThis.fetch;
    const model = { provider: "openai", model: "gpt-4o-mini" };
    const session = await SendingSession.open(
      settings({
        models: [model],
        env: { OPENAI_API_KEY: "sk-test" },
        baseUrl: { provider: "openai", url: "http://injected.invalid/v1" },
        fetch,
      }),
    );
    try {
      const result = await session.send(request("hello", model));
      expect(result).toMatchObject({ status: "ok", output: "seen: hello", usage: { input_tokens: 7 } });
      expect(seen).toEqual(["http://injected.invalid/v1/chat/completions"]);
    } finally {
      session.close();
    }
  });

  it("admits through an injected limiter factory, including one that answers later", async () => {
    const admitted: string[] = [];
    const limiter: LimiterFactory = (name, limits) => {
      const local = new LimitScope(name, limits);
      const remote: Limiter = Object.create(local) as Limiter;
      return Object.assign(remote, {
        tryAdmit: async (charge: Parameters<Limiter["tryAdmit"]>[0], now: number): Promise<AdmitDecision> => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          admitted.push(name);
          return local.tryAdmit(charge, now);
        },
      });
    };
    const session = await SendingSession.open(settings({ limiter, rpm: 6000 }));
    try {
      const ledger = new MemoryLedger(items(6));
      const outcome = await session.sendBatch({ ledger, total: 6 });
      expect(outcome.counts.ok).toBe(6);
      expect(admitted).toHaveLength(6);
      expect(admitted[0]).toMatch(/^mock:/);
    } finally {
      session.close();
    }
  });
});
