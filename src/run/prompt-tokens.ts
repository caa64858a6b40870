import { TokenCounter } from "../cost/token-count.js";
import { promptTokensAtMost, roughPromptTokens } from "../engine/prompt-tokens.js";
import type { Item, ModelRef } from "../types.js";

/**
 * Prompt tokens for admission charges: counted with a real tokenizer for the providers that meter
 * them, a rough count for the offline mock.
 *
 * The tokenizer takes a quarter of a second to load, so a run does not wait for it: it loads once
 * `loadAfter` settles (the SDKs the first requests need), and until it is there each prompt is
 * charged what it can be at most (a token a byte), which keeps the first requests under the limits;
 * the charge is reconciled with the usage the provider reports. A run with a spending cap (`exact`)
 * waits, since worst cases that high would stop it short of the cap.
 */
export async function promptTokenCounter(
  models: readonly ModelRef[],
  { exact, loadAfter }: { exact: boolean; loadAfter?: Promise<unknown> },
): Promise<(item: Item) => number> {
  const metered = models.filter((model) => model.provider !== "mock");
  if (metered.length === 0) return (item) => roughPromptTokens(item.request);
  let counter: TokenCounter | undefined;
  const load = async () => {
    const loaded = await TokenCounter.load([]);
    for (const model of metered) await loaded.prepare(model);
    counter = loaded;
  };
  if (exact) await load();
  // Should the tokenizer fail to load, the upper bound goes on keeping the charges safe.
  else (loadAfter ?? Promise.resolve()).then(load, load).catch(() => {});
  return (item) => {
    if (counter?.isReady(item.request.model)) {
      return counter.countPrompt(item.request.messages, item.request.model);
    }
    return counter ? roughPromptTokens(item.request) : promptTokensAtMost(item.request);
  };
}
