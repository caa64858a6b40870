import { describe, expect, it } from "vitest";
import type { ItemRequest, ModelRef } from "../../src/core/types.js";
import { parsePriceFile } from "../../src/cost/price-file.js";
import { builtInPrices } from "../../src/cost/price-table.js";
import { TokenCounter } from "../../src/cost/token-count.js";
import { ContextWindowCheck } from "../../src/input/context-window.js";

const MINI: ModelRef = { provider: "openai", model: "gpt-4o-mini" };
const HAIKU: ModelRef = { provider: "anthropic", model: "claude-haiku-4-5" };

const ask = (model: ModelRef, text: string, max_tokens?: number): ItemRequest => ({
  model,
  messages: [{ role: "user", content: text }],
  params: max_tokens === undefined ? {} : { max_tokens },
});

function windowCheck(windows: Record<string, number>) {
  let loads = 0;
  const made = new ContextWindowCheck({
    window: (model) => windows[`${model.provider}:${model.model}`],
    counter: () => {
      loads++;
      return TokenCounter.load([]);
    },
  });
  return { check: made.check, loads: () => loads };
}

describe("ContextWindowCheck", () => {
  it("passes a prompt that cannot exceed the window without loading the tokenizer", () => {
    const { check, loads } = windowCheck({ "openai:gpt-4o-mini": 128_000 });
    expect(check(ask(MINI, "word ".repeat(8_000)))).toBeUndefined();
    expect(check(ask({ provider: "openai", model: "my-model" }, "word ".repeat(1_000_000)))).toBeUndefined();
    expect(loads()).toBe(0);
  });

  it("counts a long prompt with the tokenizer, and refuses it only if it does not fit", async () => {
    const { check, loads } = windowCheck({
      "openai:gpt-4o-mini": 128_000,
      "anthropic:claude-haiku-4-5": 200_000,
    });
    expect(await check(ask(MINI, "word ".repeat(100_000)))).toBeUndefined();
    expect(await check(ask(MINI, "word ".repeat(140_000)))).toBe(
      "the prompt is 140,008 tokens, more than the 128,000-token context window of openai:gpt-4o-mini",
    );
    expect(await check(ask(HAIKU, "word ".repeat(210_000)))).toBe(
      "the prompt is about 210,008 tokens, more than the 200,000-token context window of anthropic:claude-haiku-4-5",
    );
    expect(loads()).toBe(1);
  });

  it("counts max_tokens against the window too", async () => {
    const { check } = windowCheck({ "openai:gpt-4o-mini": 128_000 });
    expect(await check(ask(MINI, "word ".repeat(120_000), 16_000))).toBe(
      "the prompt (120,008 tokens) and max_tokens 16,000 come to more than the 128,000-token context window of openai:gpt-4o-mini",
    );
  });
});

describe("context windows in the price table", () => {
  it("knows the windows of the built-in models, dated snapshots and aliases included", () => {
    const prices = builtInPrices();
    expect(prices.contextWindow("openai:gpt-4o-mini-2024-07-18")).toBe(128_000);
    expect(prices.contextWindow("openai:gpt-4.1")).toBe(1_047_576);
    expect(prices.contextWindow("anthropic:claude-3-5-haiku-latest")).toBe(200_000);
    expect(prices.contextWindow("openai:my-fine-tune")).toBeUndefined();
    expect(prices.contextWindow("mock:echo")).toBeUndefined();
    for (const key of prices.keys().filter((k) => !k.startsWith("mock:"))) {
      expect(prices.contextWindow(key), key).toBeGreaterThan(0);
    }
  });

  it("reads context_window from a prices file, as a whole number of tokens", () => {
    const file = parsePriceFile("openai:my-model: {input: 1, output: 2, context_window: 32768}\n", "p.yaml");
    expect(file.models.get("openai:my-model")).toEqual({ input: 1, output: 2, context_window: 32_768 });
    expect(() => parsePriceFile("openai:m: {input: 1, output: 2, context_window: 1.5}\n", "p.yaml")).toThrow(
      'p.yaml:1: openai:m: "context_window" must be a whole number of tokens',
    );
  });
});
