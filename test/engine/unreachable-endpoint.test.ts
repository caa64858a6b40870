import { describe, expect, it } from "vitest";
import { ProviderError, StoppedEarlyError } from "../../src/core/errors.js";
import type { EngineEvent } from "../../src/core/events.js";
import type { Completion, Provider } from "../../src/core/provider.js";
import type { Item, ItemResult, ModelRef } from "../../src/core/types.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { UNREACHABLE_GIVE_UP_MS } from "../../src/engine/endpoint-reach.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { runBatch } from "../../src/engine/run-batch.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { VirtualClock } from "../support/virtual-clock.js";

// Issue 16: a closed or wrong base URL stops the run within seconds instead of running for hours;
// a connection refused by a server that has answered before is retried as it always was.

const ENDPOINT = "http://127.0.0.1:1/v1";

const answer: Completion = { text: "ok", usage: { input_tokens: 2, output_tokens: 3 }, finishReason: "stop" };
const refused = () =>
  new ProviderError(`fake: cannot connect to ${ENDPOINT} (ECONNREFUSED)`, {
    type: "connection",
    endpoint: ENDPOINT,
    unreachable: true,
  });

function items(count: number): Item[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    id: `p${index}`,
    line: index + 1,
    request: {
      model: { provider: "fake", model: "m" },
      messages: [{ role: "user", content: `p${index}` }],
      params: {},
    },
  }));
}

/** Runs `count` items in virtual time; `respond` answers the n-th request sent (from 1), or throws. */
async function run(
  count: number,
  respond: (n: number) => Completion,
  options: { maxAttempts?: number; fallbacks?: ModelRef[]; concurrency?: number } = {},
) {
  const clock = new VirtualClock();
  const started = clock.now();
  const events: EngineEvent[] = [];
  const sent: string[] = [];
  const provider = (name: string): Provider => ({
    name,
    async complete(request) {
      sent.push(`${name}:${request.model}`);
      await clock.sleep(5);
      if (name !== "fake") return answer;
      return respond(sent.filter((s) => s.startsWith("fake:")).length);
    },
  });
  const specs = ["fake", "other"].map((name) => ({
    provider: name,
    value: undefined,
    limits: {},
    weight: 1,
  }));
  const keys = buildPoolKeys(["fake", "other"], specs, {}, { defaults: {}, baseUrl: () => undefined });
  const ledger = new MemoryLedger(items(count));
  const done = runBatch(
    {
      ledger,
      total: count,
      concurrency: options.concurrency ?? 4,
      clock,
      runner: {
        provider: async (name) => provider(name),
        keys: new KeyPool(keys, "round-robin", clock, (event) => events.push(event)),
        breakers: new BreakerBoard(),
        fallbacks: options.fallbacks ?? [],
        promptTokens: () => 10,
        costOf: () => null,
        maxAttempts: options.maxAttempts ?? 5,
        timeoutMs: undefined,
        stream: false,
      },
    },
    (event) => events.push(event),
  );
  await clock.runAll();
  const outcome = await done;
  return { outcome, ledger, events, sent, elapsedMs: clock.now() - started };
}

describe("an endpoint that never answered", () => {
  it("stops the run (resumable) once an item has used its attempts, within seconds, leaving every item pending", async () => {
    const { outcome, ledger, events, elapsedMs } = await run(50, () => {
      throw refused();
    });
    expect(outcome.reason).toBe("stopped");
    expect(outcome.stopError).toBeInstanceOf(StoppedEarlyError);
    expect(outcome.stopError?.message).toMatch(
      /^fake: cannot connect to http:\/\/127\.0\.0\.1:1\/v1 \(ECONNREFUSED\)/,
    );
    expect(ledger.results.size).toBe(0);
    expect(elapsedMs).toBeLessThan(UNREACHABLE_GIVE_UP_MS);
    const stopping = events.filter((e) => e.type === "stopping");
    expect(stopping).toEqual([expect.objectContaining({ reason: "stopped" })]);
  });

  it("is given up on after UNREACHABLE_GIVE_UP_MS however many attempts are allowed", async () => {
    const { outcome, elapsedMs } = await run(
      4,
      () => {
        throw refused();
      },
      { maxAttempts: 100 },
    );
    expect(outcome.reason).toBe("stopped");
    expect(elapsedMs).toBeGreaterThanOrEqual(UNREACHABLE_GIVE_UP_MS);
    expect(elapsedMs).toBeLessThan(UNREACHABLE_GIVE_UP_MS + 20_000);
  });

  it("sends items on to a fallback model instead of stopping, trying the dead endpoint once each after that", async () => {
    const { outcome, ledger, sent } = await run(
      20,
      () => {
        throw refused();
      },
      { fallbacks: [{ provider: "other", model: "b" }], concurrency: 1 },
    );
    expect(outcome.reason).toBe("completed");
    expect(
      [...ledger.results.values()].every((r: ItemResult) => r.status === "ok" && r.model === "other:b"),
    ).toBe(true);
    // The first item used its five attempts; each of the 19 others one.
    expect(sent.filter((s) => s === "fake:m")).toHaveLength(5 + 19);
  });
});

describe("an endpoint that has answered", () => {
  it("retries a refused connection as a transient error: the run goes on and the item succeeds", async () => {
    // The first request is answered; then the server refuses twice (a restart) and answers again.
    const { outcome, ledger } = await run(
      3,
      (n) => {
        if (n === 2 || n === 3) throw refused();
        return answer;
      },
      { concurrency: 1 },
    );
    expect(outcome.reason).toBe("completed");
    expect(outcome.stopError).toBeUndefined();
    expect([...ledger.results.values()].map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(ledger.results.get("p1")?.attempts).toBe(3);
  });

  it("fails the item with its own error after --max-attempts, without stopping the run", async () => {
    const { outcome, ledger } = await run(
      2,
      (n) => {
        if (n === 1) return answer;
        throw refused();
      },
      { concurrency: 1, maxAttempts: 2 },
    );
    expect(outcome.reason).toBe("completed");
    const failed = ledger.results.get("p1");
    expect(failed?.status).toBe("error");
    expect(failed?.error?.message).toMatch(/cannot connect to http:\/\/127\.0\.0\.1:1\/v1 \(ECONNREFUSED\)/);
  });
});
