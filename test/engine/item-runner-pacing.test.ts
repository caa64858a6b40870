import { describe, expect, it } from "vitest";
import type { Completion, Provider } from "../../providers/types.js";
import { BreakerBoard } from "../../src/engine/circuit-breaker.js";
import { runBatch } from "../../src/engine/run-batch.js";
import { KeyPool } from "../../src/keys/key-pool.js";
import { buildPoolKeys } from "../../src/keys/load-keys.js";
import { ArrayLedger, fakeItems } from "../support/array-ledger.js";
import { VirtualClock } from "../support/virtual-clock.js";

describe("runItem and the budget", () => {
  // The provider's module loads before the lease: a request goes out when the scope admits it.
  it("sends paced requests when they were admitted, even while the provider's module loads", async () => {
    const clock = new VirtualClock();
    const sentAt: number[] = [];
    const provider: Provider = {
      name: "fake",
      async complete(): Promise<Completion> {
        sentAt.push(clock.now());
        return { text: "ok", usage: { input_tokens: 1, output_tokens: 1 }, finishReason: "stop" };
      },
    };
    let loading: Promise<Provider> | undefined;
    const load = () => {
      loading ??= clock.sleep(300).then(() => provider); // the SDK import, on first use
      return loading;
    };
    const keys = buildPoolKeys(["fake"], [], {}, { defaults: { requests: 600 }, baseUrl: () => undefined });
    const ledger = new ArrayLedger(fakeItems(5));
    const done = runBatch({
      ledger,
      total: 5,
      concurrency: 5,
      clock,
      runner: {
        provider: load,
        pool: new KeyPool(keys, "round-robin", clock, () => {}),
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
    expect(sentAt).toHaveLength(5);
    // 600 a minute: one every ~100 ms, never two together.
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(80);
  });
});
