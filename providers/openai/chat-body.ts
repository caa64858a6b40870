import type OpenAI from "openai";
import type { CompletionRequest } from "../../src/core/provider.js";
import { strictAllowed } from "./strict-schema.js";

/** Reasoning models take `max_completion_tokens` and refuse `max_tokens`. */
export function takesMaxCompletionTokens(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model.replace(/^.*\//, ""));
}

/** Fields of `extra` that the provider decides itself and a row may not override. */
const OWN_FIELDS = new Set(["model", "messages", "stream", "stream_options"]);

/** The Chat Completions body for a request: parameters mapped, other Batch API fields passed as given. */
export function chatBody(request: CompletionRequest): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const { params } = request;
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params.extra ?? {})) {
    if (!OWN_FIELDS.has(name)) body[name] = value;
  }
  body.model = request.model;
  body.messages = request.messages as OpenAI.Chat.ChatCompletionMessageParam[];
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.top_p !== undefined) body.top_p = params.top_p;
  if (params.max_tokens !== undefined) {
    body[takesMaxCompletionTokens(request.model) ? "max_completion_tokens" : "max_tokens"] =
      params.max_tokens;
  }
  if (params.stop !== undefined) body.stop = params.stop;
  if (params.seed !== undefined) body.seed = params.seed;
  if (params.response_format !== undefined) body.response_format = responseFormat(params.response_format);
  return body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
}

/**
 * A `json_schema` response format is sent `strict` (decoding constrained to the schema) where the
 * schema allows it and the request did not say; anything else as given.
 */
function responseFormat(format: Record<string, unknown>): Record<string, unknown> {
  const spec = format.json_schema as Record<string, unknown> | undefined;
  if (format.type !== "json_schema" || spec === undefined || spec.strict !== undefined) return format;
  return strictAllowed(spec.schema) ? { ...format, json_schema: { ...spec, strict: true } } : format;
}
