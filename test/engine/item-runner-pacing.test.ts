import { describe, expect, it } from "vitest";
import type { Completion, Provider } from "../../src/core/provider.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { runBatch } from "../../src/engine/run-batch.js";
import { buildPoolKeys } from "../../src/keys/key-plan.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { fakeItems } from "../support/fake-items.js";
import { VirtualClock } from "../support/virtual-clock.js";

describe("runItem and the budget", () => {
  // The provider's module loads before the lease: a request goes out when the scope admits it.
  it("sends paced requests when they were admitted, even while the provider's module loads", async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const sentAt: number[] = [];
    const provider: Provider = {
      name: "fake",
      async complete(): Promise<Completion> {
        sentAt.push(clock.now() - start);
        return { text: "ok", usage: { input_tokens: 1, output_tokens: 1 }, finishReason: "stop" };
      },
    };
    let loading: Promise<Provider> | undefined;
    const load = () => {
      loading ??= clock.sleep(1_500).then(() => provider); // the SDK import, on first use (slow)
      return loading;
    };
    const keys = buildPoolKeys(["fake"], [], {}, { defaults: { requests: 600 }, baseUrl: () => undefined });
    const ledger = new MemoryLedger(fakeItems(15));
    const done = runBatch({
      ledger,
      total: 15,
      concurrency: 15,
      clock,
      runner: {
        provider: load,
        keys: new KeyPool(keys, "round-robin", clock, () => {}),
        breakers: new BreakerBoard(),
        fallbacks: [],
        promptTokens: () => 1,
        costOf: () => null,
        maxAttempts: 1,
        timeoutMs: undefined,
        stream: false,
      },
    });
    await clock.runAll();
    await done;
    expect(sentAt).toHaveLength(15);
    // 600 a minute: the opening second's share (10) at once once the module is there…
    expect(new Set(sentAt.slice(0, 10))).toEqual(new Set([1_500]));
    // …then one every ~100 ms once that second is over, never two together.
    expect(sentAt[10]).toBeGreaterThanOrEqual(2_500);
    const gaps = sentAt.slice(10).map((t, i) => t - (sentAt[9 + i] ?? 0));
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(80);
  });
});
