import type Anthropic from "@anthropic-ai/sdk";
import type { Completion } from "../../src/core/provider.js";
import type { Usage } from "../../src/core/types.js";
import { connectionError } from "../http-error.js";
import { anthropicRateLimit } from "./rate-limit.js";

/** Anthropic's stop reasons in the words OpenAI (and the results file) use. */
const FINISH_REASONS: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

export function finishReason(stopReason: string | null | undefined): string {
  if (stopReason === null || stopReason === undefined) return "unknown";
  return FINISH_REASONS[stopReason] ?? stopReason;
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * Usage as OpenAI counts it: Anthropic's `input_tokens` leaves out tokens read from or written to
 * the cache, so they are added back, and `cached_tokens` says how many of them were cache reads.
 */
export function normalizeUsage(usage: AnthropicUsage): Usage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const normalized: Usage = {
    input_tokens: (usage.input_tokens ?? 0) + cached + (usage.cache_creation_input_tokens ?? 0),
    output_tokens: usage.output_tokens ?? 0,
  };
  if (usage.cache_read_input_tokens !== null && usage.cache_read_input_tokens !== undefined) {
    normalized.cached_tokens = cached;
  }
  return normalized;
}

function textOf(content: readonly { type: string; text?: string }[]): string {
  return content
    .filter((block) => block.type === "text")
    .map((block) => block.text ?? "")
    .join("");
}

/** A whole (non-streamed) message, normalized. */
export function fromMessage(message: Anthropic.Messages.Message, headers: Headers): Completion {
  return {
    text: textOf(message.content),
    usage: normalizeUsage(message.usage),
    finishReason: finishReason(message.stop_reason),
    requestId: headers.get("request-id") ?? undefined,
    rateLimit: anthropicRateLimit(headers),
  };
}

/** Assembles a message's stream events into the same completion a non-streamed call returns. */
export class MessageStreamAssembler {
  private readonly parts: string[] = [];
  private usage: AnthropicUsage = {};
  private stopReason: string | null = null;
  private stopped = false;

  add(event: Anthropic.Messages.RawMessageStreamEvent): void {
    switch (event.type) {
      case "message_start":
        this.usage = { ...event.message.usage };
        break;
      case "content_block_start":
        if (event.content_block.type === "text") this.parts.push(event.content_block.text);
        break;
      case "content_block_delta":
        if (event.delta.type === "text_delta") this.parts.push(event.delta.text);
        break;
      case "message_delta":
        this.stopReason = event.delta.stop_reason;
        for (const [field, value] of Object.entries(event.usage)) {
          if (value !== null) Object.assign(this.usage, { [field]: value });
        }
        break;
      case "message_stop":
        this.stopped = true;
        break;
      default:
        break;
    }
  }

  /** The completion; a stream that ended before `message_stop` was cut off. */
  finish(
    headers: Headers,
    where: { key?: string | undefined; endpoint?: string | undefined } = {},
  ): Completion {
    if (!this.stopped) {
      throw connectionError("anthropic", "the stream ended before the answer was complete", where);
    }
    return {
      text: this.parts.join(""),
      usage: normalizeUsage(this.usage),
      finishReason: finishReason(this.stopReason),
      requestId: headers.get("request-id") ?? undefined,
      rateLimit: anthropicRateLimit(headers),
    };
  }
}
