import { TokenCounter } from "../cost/token-count.js";
import { roughPromptTokens } from "../engine/prompt-tokens.js";
import type { Item, ModelRef } from "../types.js";

/**
 * Prompt tokens for admission charges: counted with a real tokenizer for the providers that meter
 * them (loaded only when such a run starts), a rough count for the offline mock.
 */
export async function promptTokenCounter(models: readonly ModelRef[]): Promise<(item: Item) => number> {
  const metered = models.filter((model) => model.provider !== "mock");
  if (metered.length === 0) return (item) => roughPromptTokens(item.request);
  const counter = await TokenCounter.load([]);
  for (const model of metered) await counter.prepare(model);
  return (item) =>
    counter.isReady(item.request.model)
      ? counter.countPrompt(item.request.messages, item.request.model)
      : roughPromptTokens(item.request);
}
