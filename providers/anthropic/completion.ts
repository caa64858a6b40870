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

function textOf(content: readonly { type: string; text?: string }[], tool?: string): string {
  if (tool !== undefined) {
    const call = content.find(
      (block): block is { type: "tool_use"; name: string; input: unknown } =>
        block.type === "tool_use" && (block as { name?: unknown }).name === tool,
    );
    if (call) return JSON.stringify(call.input);
  }
  return content
    .filter((block) => block.type === "text")
    .map((block) => block.text ?? "")
    .join("");
}

/**
 * A forced tool call (`schema-tool.ts`) ends with stop reason `tool_use`: for the request, that is
 * the answer it asked for, so it is said as `stop`.
 */
function answerFinishReason(stopReason: string | null | undefined, tool: string | undefined): string {
  return tool !== undefined && stopReason === "tool_use" ? "stop" : finishReason(stopReason);
}

/**
 * A whole (non-streamed) message, normalized. With `tool`, the name of the tool a schema forced, the
 * answer is that call's input as JSON text.
 */
export function fromMessage(
  message: Anthropic.Messages.Message,
  headers: Headers,
  tool?: string,
): Completion {
  return {
    text: textOf(message.content, tool),
    usage: normalizeUsage(message.usage),
    finishReason: answerFinishReason(message.stop_reason, tool),
    requestId: headers.get("request-id") ?? undefined,
    rateLimit: anthropicRateLimit(headers),
  };
}

/** Assembles a message's stream events into the same completion a non-streamed call returns. */
export class MessageStreamAssembler {
  private readonly parts: string[] = [];
  /** The forced tool call's input, as its `input_json_delta`s arrive. */
  private readonly toolJson: string[] = [];
  private toolBlock: number | undefined;

  /** `tool`: the name of the tool a schema forced; its input is then the answer. */
  constructor(private readonly tool?: string) {}

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
        if (event.content_block.type === "tool_use" && event.content_block.name === this.tool) {
          this.toolBlock ??= event.index;
        }
        break;
      case "content_block_delta":
        if (event.delta.type === "text_delta") this.parts.push(event.delta.text);
        if (event.delta.type === "input_json_delta" && event.index === this.toolBlock) {
          this.toolJson.push(event.delta.partial_json);
        }
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
    // A tool call with no input streams no delta: its input is {}.
    const toolText = this.toolJson.join("") || "{}";
    return {
      text: this.toolBlock !== undefined ? toolText : this.parts.join(""),
      usage: normalizeUsage(this.usage),
      finishReason: answerFinishReason(this.stopReason, this.tool),
      requestId: headers.get("request-id") ?? undefined,
      rateLimit: anthropicRateLimit(headers),
    };
  }
}
