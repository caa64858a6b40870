import { describe, expect, it } from "vitest";
import {
  DEFAULT_OUTPUT_CAP,
  itemCost,
  tokensCost,
  usageCost,
  worstCaseCost,
} from "../../src/cost/item-cost.js";
import { builtInPrices, type ModelPrice } from "../../src/cost/price-table.js";
import { UsdSum } from "../../src/cost/usd.js";

const prices = builtInPrices();
const priceOf = (model: string): ModelPrice => {
  const match = prices.lookup(model);
  if (!match) throw new Error(`${model} has no price`);
  return match.price;
};

describe("itemCost", () => {
  it("prices input and output tokens (gpt-4o-mini: $0.15 / $0.60 per million)", () => {
    // 1,000 × 0.15 + 500 × 0.60 = 150 + 300 = 450 micro-dollars
    expect(itemCost({ input_tokens: 1000, output_tokens: 500 }, priceOf("openai:gpt-4o-mini"))).toBe(0.00045);
  });

  it("prices prompt-cache hits at cached_input (included in input_tokens)", () => {
    // 600 × 0.15 + 400 × 0.075 + 500 × 0.60 = 90 + 30 + 300 = 420 micro-dollars
    const usage = { input_tokens: 1000, output_tokens: 500, cached_tokens: 400 };
    expect(itemCost(usage, priceOf("openai:gpt-4o-mini"))).toBe(0.00042);
  });

  it("prices cache hits at input when the entry has no cached_input", () => {
    // (1,000 × 3 + 100 × 15) = 4,500 micro-dollars, the 200 cached tokens at the input price
    const usage = { input_tokens: 1000, output_tokens: 100, cached_tokens: 200 };
    expect(itemCost(usage, { input: 3, output: 15 })).toBe(0.0045);
  });

  it("matches hand-computed figures for Anthropic models", () => {
    // claude-sonnet-4-5: 12,345 × 3 + 678 × 15 = 37,035 + 10,170 = 47,205 micro-dollars
    expect(
      itemCost({ input_tokens: 12345, output_tokens: 678 }, priceOf("anthropic:claude-sonnet-4-5")),
    ).toBe(0.047205);
    // claude-haiku-4-5 with 2,000 of 2,500 prompt tokens read from the cache:
    // 500 × 1 + 2,000 × 0.1 + 300 × 5 = 500 + 200 + 1,500 = 2,200 micro-dollars
    const usage = { input_tokens: 2500, output_tokens: 300, cached_tokens: 2000 };
    expect(itemCost(usage, priceOf("anthropic:claude-haiku-4-5-20251001"))).toBe(0.0022);
  });

  it("is exact where floating point sums are not", () => {
    // gpt-4.1-nano input is $0.10 per million: 3 tokens are 0.3 micro-dollars, not 0.30000000000000004
    expect(itemCost({ input_tokens: 3, output_tokens: 0 }, priceOf("openai:gpt-4.1-nano"))).toBe(3e-7);
  });

  it("applies the batch discount when asked", () => {
    // gpt-4o, a million tokens each way: (2.50 + 10.00) / 2
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };
    expect(itemCost(usage, priceOf("openai:gpt-4o"))).toBe(12.5);
    expect(itemCost(usage, priceOf("openai:gpt-4o"), { batch: true })).toBe(6.25);
  });

  it("costs nothing for the offline mock", () => {
    expect(itemCost({ input_tokens: 10_000, output_tokens: 10_000 }, priceOf("mock:echo"))).toBe(0);
  });
});

describe("worstCaseCost", () => {
  it("charges every prompt token at the input price and max_tokens of output", () => {
    // 1,000 × 0.15 + 200 × 0.60 = 150 + 120 = 270 micro-dollars
    expect(worstCaseCost(priceOf("openai:gpt-4o-mini"), 1000, 200)).toBe(0.00027);
  });

  it("assumes the default output cap when max_tokens is unset", () => {
    expect(DEFAULT_OUTPUT_CAP).toBe(4096);
    // 1,000 × 0.15 + 4,096 × 0.60 = 150 + 2,457.6 = 2,607.6 micro-dollars
    expect(worstCaseCost(priceOf("openai:gpt-4o-mini"), 1000, undefined)).toBe(0.0026076);
    expect(worstCaseCost(priceOf("openai:gpt-4o-mini"), 1000, undefined, 100)).toBe(
      tokensCost(priceOf("openai:gpt-4o-mini"), 1000, 100),
    );
  });
});

describe("usageCost", () => {
  it("returns undefined for a model without a price, never 0", () => {
    expect(usageCost(prices, "openai:my-finetune", { input_tokens: 10, output_tokens: 10 })).toBeUndefined();
    expect(
      usageCost(prices, "openai:gpt-4o-mini-2024-07-18", { input_tokens: 1000, output_tokens: 500 }),
    ).toBe(0.00045);
  });
});

describe("money", () => {
  it("sums many small amounts exactly", () => {
    const sum = new UsdSum();
    for (let i = 0; i < 10; i++) sum.add(0.1);
    expect(sum.usd).toBe(1);
    const tiny = new UsdSum();
    for (let i = 0; i < 1000; i++) tiny.add(0.00045);
    expect(tiny.usd).toBe(0.45);
  });
});
