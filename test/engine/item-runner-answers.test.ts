import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/core/events.js";
import type { Provider } from "../../src/core/provider.js";
import type { Item, ItemResult } from "../../src/core/types.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { runBatch } from "../../src/engine/run-batch.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { checkAnswer } from "../../src/schema/answer-check.js";
import { conciseSchema } from "../../src/schema/concise-schema.js";
import { schemaResponseFormat } from "../../src/schema/response-format.js";
import { VirtualClock } from "../support/virtual-clock.js";

const SCHEMA = schemaResponseFormat(conciseSchema("name, age int"));

/** One item asking for SCHEMA, answered in turn by `answers` (the last one again once they run out). */
async function run(
  answers: readonly string[],
  options: { maxAttempts?: number; price?: number | null } = {},
) {
  const clock = new VirtualClock();
  const events: EngineEvent[] = [];
  let calls = 0;
  const provider: Provider = {
    name: "fake",
    async complete() {
      const text = answers[Math.min(calls, answers.length - 1)] as string;
      calls++;
      await clock.sleep(10);
      return { text, usage: { input_tokens: 5, output_tokens: 7 }, finishReason: "stop" };
    },
  };
  const item: Item = {
    index: 0,
    id: "r1",
    line: 1,
    request: {
      model: { provider: "fake", model: "m" },
      messages: [{ role: "user", content: "hi" }],
      params: { response_format: SCHEMA },
    },
  };
  const keys = buildPoolKeys(
    ["fake"],
    [{ provider: "fake", value: undefined, limits: {}, weight: 1 }],
    {},
    {
      defaults: {},
      baseUrl: () => undefined,
    },
  );
  const ledger = new MemoryLedger([item]);
  const price = options.price === undefined ? 0.5 : options.price;
  const done = runBatch(
    {
      ledger,
      total: 1,
      concurrency: 1,
      clock,
      runner: {
        provider: async () => provider,
        keys: new KeyPool(keys, "round-robin", clock, (event) => events.push(event)),
        breakers: new BreakerBoard(),
        fallbacks: [],
        promptTokens: () => 10,
        costOf: () => price,
        maxAttempts: options.maxAttempts ?? 3,
        timeoutMs: undefined,
        stream: false,
        checkAnswer,
      },
    },
    (event) => events.push(event),
  );
  await clock.runAll();
  await done;
  return { result: ledger.results.get("r1") as ItemResult, calls: () => calls, events };
}

describe("runItem: answers checked against the request's schema", () => {
  it("keeps a valid answer with its parsed object", async () => {
    const { result, calls } = await run(['{"name":"Ada","age":36}']);
    expect(result).toMatchObject({
      status: "ok",
      attempts: 1,
      output: '{"name":"Ada","age":36}',
      output_json: { name: "Ada", age: 36 },
      cost_usd: 0.5,
    });
    expect(calls()).toBe(1);
  });

  it("sends an invalid answer again at once, and bills both answers", async () => {
    const { result, events } = await run(['{"name":"Ada"}', '{"name":"Ada","age":36}']);
    expect(result).toMatchObject({
      status: "ok",
      attempts: 2,
      output_json: { name: "Ada", age: 36 },
      usage: { input_tokens: 10, output_tokens: 14 },
      cost_usd: 1,
    });
    const retries = events.filter((e) => e.type === "retry");
    expect(retries).toEqual([
      expect.objectContaining({ delayMs: 0, error: expect.objectContaining({ type: "invalid_output" }) }),
    ]);
  });

  it("fails the row with the validator's message after --max-attempts invalid answers", async () => {
    const { result, calls } = await run(["Sure! Here it is: name=Ada"], { maxAttempts: 2 });
    expect(calls()).toBe(2);
    expect(result).toMatchObject({
      status: "error",
      output: null,
      attempts: 2,
      usage: { input_tokens: 10, output_tokens: 14 },
      cost_usd: 1,
      error: { type: "invalid_output" },
    });
    expect(result.error?.message).toMatch(/^the answer is not JSON/);
    const missing = await run(['{"age":3}'], { maxAttempts: 1 });
    expect(missing.result.error?.message).toBe(
      "the answer does not match the schema: data must have required property 'name'",
    );
  });

  it("says the cost is unknown when a billed answer had no price", async () => {
    const { result } = await run(['{"name":"Ada"}', '{"name":"Ada","age":1}'], { price: null });
    expect(result).toMatchObject({ status: "ok", cost_usd: null });
  });
});
