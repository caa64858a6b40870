import type { Item, ModelRef } from "../core/types.js";
import { promptTokensAtMost, roughPromptTokens } from "./rough-prompt-tokens.js";
import { TokenCounter } from "./token-count.js";

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
  options: { exact: boolean; loadAfter?: Promise<unknown>; onLoadError?: (error: unknown) => void },
): Promise<(item: Item) => number> {
  const metered = models.filter((model) => model.provider !== "mock");
  if (metered.length === 0) return (item) => roughPromptTokens(item.request);
  let counter: TokenCounter | undefined;
  let failed = false;
  const load = async () => {
    try {
      const loaded = await TokenCounter.load([]);
      for (const model of metered) await loaded.prepare(model);
      counter = loaded;
    } catch (error) {
      // Rough counts then, as for the mock: a token a byte would slow the whole run down.
      failed = true;
      options.onLoadError?.(error);
    }
  };
  if (options.exact) await load();
  else (options.loadAfter ?? Promise.resolve()).then(load, load);
  return (item) => {
    if (counter?.isReady(item.request.model)) {
      return counter.countPrompt(item.request.messages, item.request.model);
    }
    return counter || failed ? roughPromptTokens(item.request) : promptTokensAtMost(item.request);
  };
}
