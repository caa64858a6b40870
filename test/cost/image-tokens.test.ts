import { describe, expect, it } from "vitest";
import type { ItemRequest } from "../../src/core/types.js";
import { promptImageTokens } from "../../src/cost/image-tokens.js";
import { promptTokensAtMost, roughPromptTokens } from "../../src/cost/rough-prompt-tokens.js";
import { TokenCounter } from "../../src/cost/token-count.js";
import { dataUrl, pngImage } from "../support/images.js";

const request = (provider: string, model: string): ItemRequest => ({
  model: { provider, model },
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Describe" },
        { type: "image_url", image_url: { url: dataUrl("image/png", pngImage(1024, 1024)) } },
        { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
      ],
    },
  ],
  params: {},
});

describe("prompt tokens count images (budgets, dry run, context window)", () => {
  it("by the provider's formula, with the sizes read from data URLs", () => {
    expect(
      promptImageTokens(request("openai", "gpt-4o").messages, { provider: "openai", model: "gpt-4o" }),
    ).toBe(765 + 85);
    const claude = request("anthropic", "claude-haiku-4-5");
    expect(promptImageTokens(claude.messages, claude.model)).toBe(1399 + 1600);
  });

  it("in every count an admission charge may use", async () => {
    const openai = request("openai", "gpt-4o");
    const counter = await TokenCounter.load(["o200k_base"]);
    const text = counter.countPrompt([{ role: "user", content: "Describe" }], openai.model);
    expect(counter.countPrompt(openai.messages, openai.model)).toBe(text + 850);
    expect(roughPromptTokens(openai)).toBeGreaterThan(850);
    expect(promptTokensAtMost(openai)).toBeGreaterThan(850);
  });
});
