import type OpenAI from "openai";
import type { Completion } from "../../src/core/provider.js";
import type { Usage } from "../../src/core/types.js";
import { connectionError } from "../http-error.js";
import { openaiRateLimit } from "./rate-limit.js";

type ChatUsage = OpenAI.Completions.CompletionUsage;

export function normalizeUsage(usage: ChatUsage | null | undefined): Usage {
  const normalized: Usage = {
    input_tokens: usage?.prompt_tokens ?? 0,
    output_tokens: usage?.completion_tokens ?? 0,
  };
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  if (typeof cached === "number") normalized.cached_tokens = cached;
  return normalized;
}

function requestIdOf(headers: Headers, fallback?: string | null): string | undefined {
  return headers.get("x-request-id") ?? fallback ?? undefined;
}

/** A whole (non-streamed) answer, normalized. Only the first choice is kept. */
export function fromChatCompletion(completion: OpenAI.Chat.ChatCompletion, headers: Headers): Completion {
  const choice = completion.choices[0];
  return {
    text: choice?.message.content ?? choice?.message.refusal ?? "",
    usage: normalizeUsage(completion.usage),
    finishReason: choice?.finish_reason ?? "unknown",
    requestId: requestIdOf(headers, (completion as { _request_id?: string | null })._request_id),
    rateLimit: openaiRateLimit(headers),
  };
}

/** Assembles streamed chunks into the same completion a non-streamed call returns. */
export class ChatStreamAssembler {
  private readonly parts: string[] = [];
  private finishReason: string | undefined;
  private usage: ChatUsage | undefined;

  add(chunk: OpenAI.Chat.ChatCompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) return;
    const delta = choice.delta.content ?? choice.delta.refusal;
    if (delta) this.parts.push(delta);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  /** The completion; a stream that ended before its finish reason was cut off. */
  finish(
    headers: Headers,
    where: { key?: string | undefined; endpoint?: string | undefined } = {},
  ): Completion {
    if (this.finishReason === undefined) {
      throw connectionError("openai", "the stream ended before the answer was complete", where);
    }
    return {
      text: this.parts.join(""),
      usage: normalizeUsage(this.usage),
      finishReason: this.finishReason,
      requestId: requestIdOf(headers),
      rateLimit: openaiRateLimit(headers),
    };
  }
}
