import { beforeAll, describe, expect, it } from "vitest";
import type { Item, ModelRef } from "../../src/core/types.js";
import { estimateDuration } from "../../src/cost/duration-estimate.js";
import { CostEstimator, estimateCost } from "../../src/cost/estimate.js";
import { renderEstimate } from "../../src/cost/estimate-text.js";
import { builtInPrices } from "../../src/cost/price-table.js";
import { TokenCounter } from "../../src/cost/token-count.js";

const prices = builtInPrices();
let counter: TokenCounter;
beforeAll(async () => {
  counter = await TokenCounter.load([]);
});

function item(index: number, model: ModelRef, text: string, maxTokens?: number): Item {
  return {
    index,
    id: String(index + 1),
    line: index + 1,
    request: {
      model,
      messages: [{ role: "user", content: text }],
      params: maxTokens === undefined ? {} : { max_tokens: maxTokens },
    },
  };
}

describe("CostEstimator", () => {
  it("matches hand-computed figures: min, expected and max", () => {
    const estimator = new CostEstimator({ prices, counter });
    estimator.addCounted("openai:gpt-4o-mini", 1000, 500);
    estimator.addCounted("openai:gpt-4o-mini", 1000, undefined);
    const estimate = estimator.result();
    const [model] = estimate.byModel;
    expect(model).toMatchObject({
      model: "openai:gpt-4o-mini",
      priceKey: "openai:gpt-4o-mini",
      requests: 2,
      promptTokens: 2000,
      maxOutputTokens: 500 + 4096,
      expectedOutputTokens: 250 + 2048,
      uncapped: 1,
      // prompt + max_tokens where set, prompt + expected output where not
      meteredTokens: 1000 + 500 + 1000 + 2048,
    });
    // min: 2,000 × 0.15 = 300 µ$; expected: 300 + 2,298 × 0.60 = 1,678.8 µ$; max: 300 + 4,596 × 0.60 = 3,057.6 µ$
    expect(model?.cost).toEqual({ min: 0.0003, expected: 0.0016788, max: 0.0030576 });
    expect(estimate.cost).toEqual(model?.cost);
    expect(estimate.unpricedModels).toEqual([]);
  });

  it("lists unpriced models apart, with an unknown cost that is not in the total", () => {
    const estimator = new CostEstimator({
      prices,
      counter,
      expectedOutputRatio: 0.25,
      defaultMaxTokens: 1000,
    });
    estimator.addCounted("anthropic:claude-haiku-4-5", 400, 100);
    estimator.addCounted("openai:my-finetune", 5000, undefined);
    const estimate = estimator.result();
    expect(estimate.unpricedModels).toEqual(["openai:my-finetune"]);
    expect(estimate.byModel.find((m) => m.model === "openai:my-finetune")?.cost).toBeNull();
    // haiku: 400 × 1 = 400 µ$; + 25 × 5 = 525 µ$; + 100 × 5 = 900 µ$
    expect(estimate.cost).toEqual({ min: 0.0004, expected: 0.000525, max: 0.0009 });
    expect(estimate.requests).toBe(2);
    expect(estimate.promptTokens).toBe(5400);
    expect(estimate.maxOutputTokens).toBe(1100);

    const text = renderEstimate(estimate);
    expect(text).toContain("unknown (no price)");
    expect(text).toMatch(/cost unknown for openai:my-finetune/);
    // The total counts every request, so its cost says an unknown part is missing; never $0.
    expect(text).toMatch(/^metasync: total .* \+ unknown$/m);
    expect(text).toMatch(/1 request sets no max_tokens: the output cap is taken as 1,000 tokens/);
    expect(text).toContain("expected = prompt + 25% of each output cap");
  });

  it("refuses an expected ratio outside 0–1", () => {
    expect(() => new CostEstimator({ prices, counter, expectedOutputRatio: 2 })).toThrow(RangeError);
  });
});

describe("estimateCost", () => {
  it("counts prompts with the tokenizer and keeps min ≤ expected ≤ max", async () => {
    const mini: ModelRef = { provider: "openai", model: "gpt-4o-mini" };
    const gpt4: ModelRef = { provider: "openai", model: "gpt-4" };
    async function* items() {
      yield item(0, mini, "Hello, world!", 50);
      yield item(1, mini, "tiktoken is great!");
      yield item(2, gpt4, "Hello, world!", 10);
    }
    const estimate = await estimateCost(items(), { prices, counter });
    // Each prompt: 3 (reply) + 3 (message) + 1 ("user") + its text: 4 or 6 tokens.
    expect(estimate.byModel.map((m) => [m.model, m.requests, m.promptTokens])).toEqual([
      ["openai:gpt-4", 1, 11],
      ["openai:gpt-4o-mini", 2, 11 + 13],
    ]);
    expect(estimate.requests).toBe(3);
    for (const cost of [estimate.cost, ...estimate.byModel.map((m) => m.cost)]) {
      expect(cost).not.toBeNull();
      if (!cost) continue;
      expect(cost.min).toBeGreaterThan(0);
      expect(cost.min).toBeLessThanOrEqual(cost.expected);
      expect(cost.expected).toBeLessThanOrEqual(cost.max);
    }
  });
});

describe("estimateDuration", () => {
  it("takes the slowest of the RPM, TPM and concurrency bounds", () => {
    const scopes = [
      { requests: 100, tokens: 100_000 },
      { requests: 100, tokens: 100_000 },
    ];
    // 600 requests at 200/min = 180 s; 300,000 tokens at 200,000/min = 90 s; 600 × 1 s / 10 = 60 s
    const rpmBound = estimateDuration(
      { requests: 600, meteredTokens: 300_000 },
      { scopes, concurrency: 10, latencyMs: 1000 },
    );
    expect(rpmBound).toEqual({
      seconds: 180,
      bound: "rpm",
      bySeconds: { concurrency: 60, rpm: 180, tpm: 90 },
      rpm: 200,
      tpm: 200_000,
    });
    const tpmBound = estimateDuration(
      { requests: 600, meteredTokens: 2_000_000 },
      { scopes, concurrency: 10, latencyMs: 1000 },
    );
    expect([tpmBound.bound, tpmBound.seconds]).toEqual(["tpm", 600]);
    const concurrencyBound = estimateDuration(
      { requests: 600, meteredTokens: 1000 },
      { scopes, concurrency: 1, latencyMs: 2000 },
    );
    expect([concurrencyBound.bound, concurrencyBound.seconds]).toEqual(["concurrency", 1200]);
  });

  it("leaves out limits that are not known for every scope", () => {
    const estimate = estimateDuration(
      { requests: 100, meteredTokens: 10_000_000 },
      { scopes: [{ requests: 60 }], concurrency: 100, latencyMs: 500 },
    );
    expect(estimate.tpm).toBeNull();
    expect(estimate.bySeconds.tpm).toBeNull();
    expect([estimate.bound, estimate.seconds]).toEqual(["rpm", 100]);
    const text = renderEstimate(new CostEstimator({ prices, counter }).result(), {
      duration: estimate,
      concurrency: 100,
      latencyMs: 500,
      scopes: 1,
    });
    expect(text).toContain(
      "expected duration ≈ 1m 40s, paced by rpm (60 requests/min over 1 limit scope; concurrency 100; 0.5 s per request assumed)",
    );
  });
});
