import { describe, expect, it } from "vitest";
import { promptTokenCounter } from "../../src/cost/prompt-tokens.js";
import { promptTokensAtMost } from "../../src/cost/rough-prompt-tokens.js";
import { TokenCounter } from "../../src/cost/token-count.js";
import { item, model } from "../run/openai-item.js";

describe("promptTokenCounter", () => {
  it("charges at most what a prompt can be until the tokenizer has loaded, then counts it exactly", async () => {
    const count = await promptTokenCounter([model], { exact: false });
    // The run does not wait for the tokenizer: the first count is the safe upper bound.
    expect(count(item)).toBe(promptTokensAtMost(item.request));
    const exact = (await TokenCounter.load(["o200k_base"])).countPrompt(item.request.messages, model);
    expect(exact).toBeLessThan(promptTokensAtMost(item.request));
    await expect.poll(() => count(item), { timeout: 5_000 }).toBe(exact);
  });

  it("loads the tokenizer only once what the first requests need is in", async () => {
    let sdksLoaded: () => void = () => {};
    const sdks = new Promise<void>((resolve) => {
      sdksLoaded = resolve;
    });
    const count = await promptTokenCounter([model], { exact: false, loadAfter: sdks });
    await new Promise((resolve) => setTimeout(resolve, 600)); // long enough to load it
    expect(count(item)).toBe(promptTokensAtMost(item.request));
    sdksLoaded();
    const exact = (await TokenCounter.load(["o200k_base"])).countPrompt(item.request.messages, model);
    await expect.poll(() => count(item), { timeout: 5_000 }).toBe(exact);
  });

  it("waits for the tokenizer when asked for exact counts (a run with a spending cap)", async () => {
    const count = await promptTokenCounter([model], { exact: true });
    const exact = (await TokenCounter.load(["o200k_base"])).countPrompt(item.request.messages, model);
    expect(count(item)).toBe(exact);
  });
});
