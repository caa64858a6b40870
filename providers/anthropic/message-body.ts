import type Anthropic from "@anthropic-ai/sdk";
import { ProviderError } from "../../src/core/errors.js";
import type { CompletionRequest } from "../../src/core/provider.js";
import { type ChatMessage, type ContentPart, messageText } from "../../src/core/types.js";
import { schemaTool } from "./schema-tool.js";

/** The Messages API requires `max_tokens`; this is sent when a request does not set it. */
export const DEFAULT_MAX_TOKENS = 4096;

/** Fields of `extra` the Messages API knows; the rest of an OpenAI body means nothing to it. */
const PASSED_THROUGH = ["top_k", "metadata", "service_tier", "thinking"] as const;

/**
 * Sampling fields the SDK's types no longer list (they are deprecated) but the API still takes on
 * the models that support them; sent only when a request sets them.
 */
interface SamplingFields {
  temperature?: number;
  top_p?: number;
}

type ContentBlock = Anthropic.Messages.ContentBlockParam;

function badRequest(message: string): ProviderError {
  return new ProviderError(`anthropic: ${message}`, { type: "bad_request" });
}

/** An OpenAI-style content part as an Anthropic content block: text, or an image by URL or data URL. */
function toBlock(part: ContentPart): ContentBlock {
  if (part.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
  const url = part.type === "image_url" ? (part.image_url as { url?: unknown } | undefined)?.url : undefined;
  if (typeof url === "string") {
    const data = /^data:(image\/(?:png|jpeg|gif|webp));base64,(.*)$/s.exec(url);
    if (data) {
      const mediaType = data[1] as "image/png" | "image/jpeg" | "image/gif" | "image/webp";
      return { type: "image", source: { type: "base64", media_type: mediaType, data: data[2] ?? "" } };
    }
    return { type: "image", source: { type: "url", url } };
  }
  throw badRequest(`content parts of type "${part.type}" are not supported`);
}

function toMessageParam(message: ChatMessage): Anthropic.Messages.MessageParam {
  if (message.role !== "user" && message.role !== "assistant") {
    throw badRequest(`messages with role "${message.role}" are not supported`);
  }
  const content = typeof message.content === "string" ? message.content : message.content.map(toBlock);
  return { role: message.role, content };
}

/** The Messages API body: system and developer messages become the top-level `system`. */
export function messageBody(request: CompletionRequest): Anthropic.Messages.MessageCreateParamsNonStreaming {
  const { params } = request;
  const system = request.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => messageText(m.content));
  const messages = request.messages
    .filter((m) => m.role !== "system" && m.role !== "developer")
    .map(toMessageParam);
  const body: Anthropic.Messages.MessageCreateParamsNonStreaming & SamplingFields = {
    model: request.model,
    messages,
    max_tokens: params.max_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = system.join("\n\n");
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.top_p !== undefined) body.top_p = params.top_p;
  if (params.stop !== undefined) body.stop_sequences = params.stop;
  const forced = schemaTool(params);
  if (forced) {
    body.tools = [forced.tool];
    body.tool_choice = forced.choice;
  }
  const extra: Record<string, unknown> = params.extra ?? {};
  for (const name of PASSED_THROUGH) {
    if (extra[name] !== undefined) Object.assign(body, { [name]: extra[name] });
  }
  return body;
}
