import { formatCount } from "../core/format/number.js";
import {
  type ChatMessage,
  formatModelRef,
  type ItemRequest,
  type ModelRef,
  messageText,
} from "../core/types.js";

/** Counts a prompt's tokens the way the run charges them (cost/TokenCounter). */
export interface PromptCounter {
  prepare(model: ModelRef): Promise<void>;
  countPrompt(messages: readonly ChatMessage[], model: ModelRef): number;
}

export interface ContextWindowOptions {
  /** The model's context window in tokens, where it is known (the price table's `context_window`). */
  window: (model: ModelRef) => number | undefined;
  /** The tokenizer, loaded only for a prompt that may not fit. */
  counter: () => Promise<PromptCounter>;
}

/**
 * Refuses a request whose prompt (with its `max_tokens`) cannot fit the model's context window: the
 * provider would refuse it anyway, after the run had started. Almost every prompt is ruled out at
 * once by its length (a token is at least one byte, a character at most three); only one that may
 * not fit is counted with the tokenizer.
 */
export class ContextWindowCheck {
  private readonly windows = new WeakMap<ModelRef, number | null>();
  private counter: Promise<PromptCounter> | undefined;

  constructor(private readonly options: ContextWindowOptions) {}

  readonly check = (request: ItemRequest): string | undefined | Promise<string | undefined> => {
    const window = this.windowOf(request.model);
    if (window === null) return undefined;
    const reserved = request.params.max_tokens ?? 0;
    let most = 3;
    for (const message of request.messages) {
      const text = typeof message.content === "string" ? message.content : messageText(message.content);
      most += 8 + 3 * (text.length + (message.name?.length ?? 0));
    }
    if (most + reserved <= window) return undefined;
    return this.count(request, window, reserved);
  };

  private windowOf(model: ModelRef): number | null {
    let window = this.windows.get(model);
    if (window === undefined) {
      window = this.options.window(model) ?? null;
      this.windows.set(model, window);
    }
    return window;
  }

  private async count(request: ItemRequest, window: number, reserved: number): Promise<string | undefined> {
    this.counter ??= this.options.counter();
    const counter = await this.counter;
    await counter.prepare(request.model);
    const tokens = counter.countPrompt(request.messages, request.model);
    if (tokens + reserved <= window) return undefined;
    const about = request.model.provider === "openai" ? "" : "about ";
    const model = formatModelRef(request.model);
    const limit = `the ${formatCount(window)}-token context window of ${model}`;
    if (tokens > window) return `the prompt is ${about}${formatCount(tokens)} tokens, more than ${limit}`;
    return (
      `the prompt (${about}${formatCount(tokens)} tokens) and max_tokens ${formatCount(reserved)} ` +
      `come to more than ${limit}`
    );
  }
}
