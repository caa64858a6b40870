import type { Item } from "../../src/core/types.js";

/** An OpenAI model and one short prompt of it, for the prompt-token counter's tests. */
export const model = { provider: "openai", model: "gpt-4o-mini" };

export const item: Item = {
  id: "a",
  index: 0,
  line: 1,
  request: { model, messages: [{ role: "user", content: "Summarize: the food was great." }], params: {} },
};
