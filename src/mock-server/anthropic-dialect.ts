import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import {
  type Answer,
  contentText,
  type Dialect,
  type Failure,
  type FailureKind,
  isRecord,
  type ParsedRequest,
  type SseFrame,
  stopList,
  textPieces,
} from "./dialect.js";
import { requestImageTokens } from "./image-tokens.js";
import type { Dimension, MeterReading } from "./rate-meter.js";
import { anthropicSchema } from "./structured-answer.js";

const ERRORS: Record<FailureKind, { status: number; type: string; message: string }> = {
  bad_request: { status: 400, type: "invalid_request_error", message: "Invalid request." },
  invalid_key: { status: 401, type: "authentication_error", message: "invalid x-api-key" },
  permission: {
    status: 403,
    type: "permission_error",
    message: "Your API key does not have permission to use the specified resource.",
  },
  not_found: { status: 404, type: "not_found_error", message: "" },
  rate_limited: {
    status: 429,
    type: "rate_limit_error",
    message: "This request would exceed the rate limit for your organization.",
  },
  too_large: {
    status: 413,
    type: "request_too_large",
    message: "Request exceeds the maximum allowed number of bytes.",
  },
  quota: {
    status: 400,
    type: "invalid_request_error",
    message:
      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
  },
  content_filter: {
    status: 400,
    type: "invalid_request_error",
    message: "Output blocked by content filtering policy",
  },
  server: { status: 500, type: "api_error", message: "Internal server error" },
  overloaded: { status: 529, type: "overloaded_error", message: "Overloaded" },
};

function parse(body: unknown): ParsedRequest | string {
  if (!isRecord(body)) return "the request body must be a JSON object";
  const { model, messages, max_tokens: maxTokens, system } = body;
  if (typeof model !== "string" || model === "") return "model: Field required";
  if (typeof maxTokens !== "number" || maxTokens < 1) return "max_tokens: Field required";
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isRecord)) {
    return "messages: at least one message is required";
  }
  if (messages.some((m) => m.role !== "user" && m.role !== "assistant")) {
    return "messages: roles must be 'user' or 'assistant'";
  }
  const lastUser = messages.findLast((m) => m.role === "user");
  const texts = messages.map((m) => contentText(m.content));
  return {
    model,
    prompt: [contentText(system), ...texts].filter((t) => t !== "").join("\n"),
    lastUserText: lastUser ? contentText(lastUser.content) : "",
    maxTokens,
    stop: stopList(body.stop_sequences),
    stream: body.stream === true,
    includeUsage: true,
    schema: anthropicSchema(body),
    imageTokens: requestImageTokens("anthropic", model, messages),
  };
}

const STOP_REASONS = { stop: "end_turn", length: "max_tokens", stop_sequence: "stop_sequence" } as const;

function usage(answer: Answer, outputTokens = answer.outputTokens) {
  return {
    input_tokens: answer.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    service_tier: "standard",
  };
}

function message(request: ParsedRequest, answer: Answer, content: unknown[], done: boolean) {
  return {
    id: answer.id,
    type: "message",
    role: "assistant",
    model: request.model,
    content,
    stop_reason: done ? stopReason(request, answer) : null,
    stop_sequence: done ? (answer.stopSequence ?? null) : null,
    usage: usage(answer, done ? answer.outputTokens : 1),
  };
}

/** A forced tool call ends as `tool_use`. */
function stopReason(request: ParsedRequest, answer: Answer): string {
  return request.schema?.tool !== undefined ? "tool_use" : STOP_REASONS[answer.stop];
}

/** The answer's content block: text, or the forced tool's call with the answer as its input. */
function contentBlock(request: ParsedRequest, answer: Answer, streamed: boolean): Record<string, unknown> {
  const tool = request.schema?.tool;
  if (tool === undefined)
    return { type: "text", text: streamed ? "" : answer.text, ...(streamed ? {} : { citations: null }) };
  const id = `toolu_${answer.id.slice(4)}`;
  return { type: "tool_use", id, name: tool, input: streamed ? {} : JSON.parse(answer.text) };
}

function streamFrames(request: ParsedRequest, answer: Answer): SseFrame[] {
  const frame = (event: string, data: Record<string, unknown>): SseFrame => ({
    event,
    data: JSON.stringify({ type: event, ...data }),
  });
  return [
    frame("message_start", { message: message(request, answer, [], false) }),
    frame("content_block_start", { index: 0, content_block: contentBlock(request, answer, true) }),
    frame("ping", {}),
    ...textPieces(answer.text).map((text) =>
      frame("content_block_delta", {
        index: 0,
        delta:
          request.schema?.tool !== undefined
            ? { type: "input_json_delta", partial_json: text }
            : { type: "text_delta", text },
      }),
    ),
    frame("content_block_stop", { index: 0 }),
    frame("message_delta", {
      delta: { stop_reason: stopReason(request, answer), stop_sequence: answer.stopSequence ?? null },
      usage: { output_tokens: answer.outputTokens },
    }),
    frame("message_stop", {}),
  ];
}

/** An RFC 3339 time, whole seconds, as Anthropic's reset headers have it. */
function resetTime(now: number, resetMs: number): string {
  return new Date(Math.ceil((now + resetMs) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const HEADER_NAMES: Record<Dimension, string> = {
  requests: "requests",
  tokens: "tokens",
  inputTokens: "input-tokens",
  outputTokens: "output-tokens",
};

export const anthropicDialect: Dialect = {
  name: "anthropic",
  requestIdHeader: "request-id",
  newId: (prefix) => (prefix === "request" ? "req_" : "msg_") + randomBytes(12).toString("base64url"),
  keyOf(headers: IncomingHttpHeaders) {
    const key = headers["x-api-key"];
    if (typeof key === "string" && key !== "") return key;
    return /^Bearer (.+)$/i.exec(headers.authorization ?? "")?.[1];
  },
  parse,
  failure(kind, detail): Failure {
    const error = ERRORS[kind];
    const text = detail.message ?? (kind === "not_found" ? `model: ${detail.model}` : error.message);
    return {
      status: detail.status ?? error.status,
      body: { type: "error", error: { type: error.type, message: text } },
    };
  },
  rateLimitHeaders(reading: MeterReading, now: number) {
    const headers: Record<string, string> = {};
    for (const [dimension, name] of Object.entries(HEADER_NAMES) as [Dimension, string][]) {
      const limit = reading[dimension];
      if (!limit) continue;
      headers[`anthropic-ratelimit-${name}-limit`] = String(limit.limit);
      headers[`anthropic-ratelimit-${name}-remaining`] = String(limit.remaining);
      headers[`anthropic-ratelimit-${name}-reset`] = resetTime(now, limit.resetMs);
    }
    return headers;
  },
  completionBody(request, answer) {
    return message(request, answer, [contentBlock(request, answer, false)], true);
  },
  streamFrames,
  streamErrorFrame: () => ({
    event: "error",
    data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
  }),
};
