import type OpenAI from "openai";
import type { Completion } from "../../src/core/provider.js";
import { openaiRateLimit } from "./rate-limit.js";

/** An embeddings response as a completion: the first vector as JSON text, its input tokens as usage. */
export function embeddingCompletion(response: OpenAI.CreateEmbeddingResponse, headers: Headers): Completion {
  const vector = response.data[0]?.embedding;
  return {
    text: JSON.stringify(vector === undefined ? [] : Array.from(vector)),
    usage: { input_tokens: response.usage?.prompt_tokens ?? 0, output_tokens: 0 },
    finishReason: "stop",
    requestId: headers.get("x-request-id") ?? undefined,
    rateLimit: openaiRateLimit(headers),
  };
}
