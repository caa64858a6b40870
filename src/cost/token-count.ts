import { type ChatMessage, type ModelRef, messageText } from "../core/types.js";
import { promptImageTokens } from "./image-tokens.js";

/** The byte-pair encodings metasync counts with (from gpt-tokenizer, which ships them). */
export type EncodingName = "o200k_base" | "cl100k_base";

/**
 * Chat framing, as OpenAI's cookbook ("How to count tokens with tiktoken") counts it for the
 * gpt-3.5-turbo-0613 / gpt-4 / gpt-4o families: each message costs 3 tokens besides its role and
 * content, a `name` 1 more, and every reply is primed with 3.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;

/** gpt-4 (not 4o / 4.1 / 4.5), gpt-3.5 and the first embeddings use cl100k_base. */
const CL100K = /^(?:gpt-4(?:-|$)|gpt-3\.5|text-embedding-3|text-embedding-ada)/;

/**
 * The encoding for a model: o200k_base for gpt-4o, gpt-4.1, gpt-4.5, the o-series, gpt-5 and
 * anything newer; cl100k_base for the older OpenAI models. Anthropic publishes no tokenizer for its
 * current models: their prompts are counted with o200k_base as an approximation (Claude's own count,
 * which the response reports, is typically somewhat higher), and so are other providers' models.
 */
export function encodingFor(model: ModelRef): EncodingName {
  return model.provider === "openai" && CL100K.test(model.model) ? "cl100k_base" : "o200k_base";
}

interface Encoding {
  countTokens(text: string, options?: { disallowedSpecial: Set<string> }): number;
}

/** Special tokens in user text are counted as the plain text the API sees, never refused. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Counts prompt tokens with a real tokenizer. The tokenizer is large, so it is imported only when
 * a counter is made, and each encoding only when a model needs it (`prepare`).
 */
export class TokenCounter {
  private readonly encodings = new Map<EncodingName, Encoding>();
  /** Roles' token counts, by encoding and role: the same few words for every message. */
  private readonly roles = new Map<string, number>();

  /** A counter with `encodings` loaded. */
  static async load(encodings: Iterable<EncodingName> = ["o200k_base"]): Promise<TokenCounter> {
    const counter = new TokenCounter();
    for (const name of encodings) await counter.loadEncoding(name);
    return counter;
  }

  /** Loads the encoding `model` needs, if it is not loaded yet. */
  async prepare(model: ModelRef): Promise<void> {
    await this.loadEncoding(encodingFor(model));
  }

  /** Whether `model` can be counted without `prepare`. */
  isReady(model: ModelRef): boolean {
    return this.encodings.has(encodingFor(model));
  }

  /** Tokens of `text` alone. */
  countText(text: string, encoding: EncodingName = "o200k_base"): number {
    const encoder = this.encodings.get(encoding);
    if (!encoder) throw new Error(`encoding ${encoding} is not loaded: call TokenCounter.prepare first`);
    if (text === "") return 0;
    // The default options are much faster; text that looks like it holds a special token is counted
    // as plain text instead of being refused.
    return text.includes("<|") ? encoder.countTokens(text, PLAIN_TEXT) : encoder.countTokens(text);
  }

  /**
   * Prompt tokens of a chat request: each message's role, content and name plus the chat framing,
   * and its images by the provider's formula (`image-tokens.ts`); other parts are left out.
   */
  countPrompt(messages: readonly ChatMessage[], model: ModelRef): number {
    const encoding = encodingFor(model);
    let total = REPLY_PRIMING_TOKENS;
    for (const message of messages) {
      total += TOKENS_PER_MESSAGE;
      total += this.roleTokens(message.role, encoding);
      total += this.countText(messageText(message.content), encoding);
      if (message.name !== undefined) total += TOKENS_PER_NAME + this.countText(message.name, encoding);
    }
    return total + promptImageTokens(messages, model);
  }

  private roleTokens(role: string, encoding: EncodingName): number {
    const key = `${encoding}:${role}`;
    let tokens = this.roles.get(key);
    if (tokens === undefined) {
      tokens = this.countText(role, encoding);
      this.roles.set(key, tokens);
    }
    return tokens;
  }

  private async loadEncoding(name: EncodingName): Promise<void> {
    if (this.encodings.has(name)) return;
    const module: Encoding =
      name === "o200k_base"
        ? await import("gpt-tokenizer/encoding/o200k_base")
        : await import("gpt-tokenizer/encoding/cl100k_base");
    this.encodings.set(name, module);
  }
}
