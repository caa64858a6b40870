import { beforeAll, describe, expect, it } from "vitest";
import type { ModelRef } from "../../src/core/types.js";
import { encodingFor, TokenCounter } from "../../src/cost/token-count.js";

const gpt4oMini: ModelRef = { provider: "openai", model: "gpt-4o-mini" };
const gpt4: ModelRef = { provider: "openai", model: "gpt-4-0613" };
const haiku: ModelRef = { provider: "anthropic", model: "claude-haiku-4-5" };

let counter: TokenCounter;
beforeAll(async () => {
  counter = await TokenCounter.load();
});

describe("encodingFor", () => {
  it("uses o200k_base for current OpenAI models and cl100k_base for older ones", () => {
    for (const model of [
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1-nano",
      "gpt-4.5-preview",
      "o1",
      "o3-mini",
      "o4-mini",
      "gpt-5",
    ]) {
      expect(encodingFor({ provider: "openai", model }), model).toBe("o200k_base");
    }
    for (const model of ["gpt-4", "gpt-4-turbo", "gpt-4-0613", "gpt-3.5-turbo"]) {
      expect(encodingFor({ provider: "openai", model }), model).toBe("cl100k_base");
    }
  });

  it("approximates Anthropic models with o200k_base", () => {
    expect(encodingFor(haiku)).toBe("o200k_base");
  });
});

describe("TokenCounter", () => {
  it("counts known strings as OpenAI's tokenizers do", async () => {
    await counter.prepare(gpt4);
    // OpenAI's cookbook: "tiktoken is great!" is 6 tokens in both encodings.
    expect(counter.countText("tiktoken is great!", "o200k_base")).toBe(6);
    expect(counter.countText("tiktoken is great!", "cl100k_base")).toBe(6);
    expect(counter.countText("Hello, world!", "o200k_base")).toBe(4);
    expect(counter.countText("", "o200k_base")).toBe(0);
  });

  it("adds the chat framing: 3 per message, 1 per name, 3 to prime the reply", () => {
    // 3 (reply) + 3 (message) + 1 ("user") + 4 ("Hello, world!")
    expect(counter.countPrompt([{ role: "user", content: "Hello, world!" }], gpt4oMini)).toBe(11);
    // + 3 + 1 ("system") + 6, and a name: + 1 + tokens of "bob"
    const withSystem = counter.countPrompt(
      [
        { role: "system", content: "tiktoken is great!" },
        { role: "user", content: "Hello, world!", name: "bob" },
      ],
      gpt4oMini,
    );
    expect(withSystem).toBe(11 + 10 + 1 + counter.countText("bob"));
  });

  it("counts text parts with the tokenizer, an image by the provider's formula (a URL's as the largest)", () => {
    const parts = [
      { type: "text", text: "Hello, world!" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ];
    expect(counter.countPrompt([{ role: "user", content: parts }], gpt4oMini)).toBe(11 + 2833 + 8 * 5667);
  });

  it("counts special-token text as plain text instead of refusing it", () => {
    expect(counter.countText("<|endoftext|>", "o200k_base")).toBeGreaterThan(1);
  });

  it("counts Anthropic prompts with the o200k approximation", () => {
    const messages = [{ role: "user" as const, content: "Hello, world!" }];
    expect(counter.countPrompt(messages, haiku)).toBe(counter.countPrompt(messages, gpt4oMini));
  });

  it("loads an encoding only when a model needs it", async () => {
    const fresh = await TokenCounter.load([]);
    expect(fresh.isReady(gpt4oMini)).toBe(false);
    expect(() => fresh.countPrompt([{ role: "user", content: "hi" }], gpt4oMini)).toThrow(/prepare/);
    await fresh.prepare(gpt4oMini);
    expect(fresh.isReady(gpt4oMini)).toBe(true);
    expect(fresh.isReady(gpt4)).toBe(false);
  });
});
