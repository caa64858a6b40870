import { describe, expect, it } from "vitest";
import type { ChatMessage, ItemRequest, ModelRef } from "../../src/core/types.js";
import { promptTokensAtMost } from "../../src/cost/rough-prompt-tokens.js";
import { TokenCounter } from "../../src/cost/token-count.js";

const request = (messages: ChatMessage[], model: ModelRef): ItemRequest => ({ model, messages, params: {} });

describe("promptTokensAtMost", () => {
  it("is never below what the tokenizers count, whatever the script", async () => {
    const counter = await TokenCounter.load(["o200k_base", "cl100k_base"]);
    const texts = [
      "Summarize: the service was slow but the food was great.",
      "日本語のテキストを英語に翻訳してください。",
      "emoji 🎉🎉🎉 and accents: naïve café, Ελληνικά, русский",
      "<|endoftext|> looks special but is plain text here",
      "x".repeat(5_000),
      " ",
    ];
    for (const model of [
      { provider: "openai", model: "gpt-4o-mini" },
      { provider: "openai", model: "gpt-4" },
    ]) {
      for (const text of texts) {
        const messages: ChatMessage[] = [
          { role: "system", content: "You are terse." },
          { role: "user", content: text, name: "ana" },
        ];
        const exact = counter.countPrompt(messages, model);
        expect(
          promptTokensAtMost(request(messages, model)),
          `${model.model}: ${text.slice(0, 20)}`,
        ).toBeGreaterThanOrEqual(exact);
      }
    }
  });
});
