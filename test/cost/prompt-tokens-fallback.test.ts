import { describe, expect, it, vi } from "vitest";
import { promptTokenCounter } from "../../src/cost/prompt-tokens.js";
import { roughPromptTokens } from "../../src/cost/rough-prompt-tokens.js";
import { item, model } from "../run/openai-item.js";

vi.mock("gpt-tokenizer/encoding/o200k_base", () => {
  throw new Error("no such encoding");
});

describe("promptTokenCounter when the tokenizer cannot load", () => {
  it("says so once and falls back to rough counts, not a token a byte for the whole run", async () => {
    const errors: unknown[] = [];
    const count = await promptTokenCounter([model], { exact: false, onLoadError: (e) => errors.push(e) });
    await expect.poll(() => errors.length).toBe(1);
    expect(count(item)).toBe(roughPromptTokens(item.request));
  });
});
