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
import type { MeterReading } from "./rate-meter.js";
import { openaiSchema } from "./structured-answer.js";

/** OpenAI's reset durations: `0s`, `20ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const total = Math.round(ms) / 1000;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = `${Number((total % 60).toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

const ERRORS: Record<FailureKind, { status: number; type: string; code: string | null; message: string }> = {
  bad_request: { status: 400, type: "invalid_request_error", code: null, message: "Invalid request." },
  invalid_key: {
    status: 401,
    type: "invalid_request_error",
    code: "invalid_api_key",
    message:
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
  },
  permission: { status: 403, type: "invalid_request_error", code: null, message: "Permission denied." },
  not_found: { status: 404, type: "invalid_request_error", code: "model_not_found", message: "" },
  rate_limited: {
    status: 429,
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached.",
  },
  too_large: {
    status: 429,
    type: "tokens",
    code: "rate_limit_exceeded",
    message:
      "Request too large for {model} in organization org-mock on tokens per min (TPM): Limit 30000, Requested 50000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
  },
  quota: {
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
  content_filter: {
    status: 400,
    type: "invalid_request_error",
    code: "content_filter",
    message: "The response was filtered due to the prompt triggering content management policy.",
  },
  server: {
    status: 500,
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  overloaded: {
    status: 503,
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded.",
  },
};

function parse(body: unknown): ParsedRequest | string {
  if (!isRecord(body)) return "the request body must be a JSON object";
  const { model, messages } = body;
  if (typeof model !== "string" || model === "") return "you must provide a model parameter";
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isRecord)) {
    return "'messages' must be a non-empty array of message objects";
  }
  const lastUser = messages.findLast((m) => m.role === "user");
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  return {
    model,
    prompt: messages.map((m) => contentText(m.content)).join("\n"),
    lastUserText: lastUser ? contentText(lastUser.content) : "",
    maxTokens: typeof maxTokens === "number" ? maxTokens : undefined,
    stop: stopList(body.stop),
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    schema: openaiSchema(body),
    imageTokens: requestImageTokens("openai", model, messages),
  };
}

function usage(answer: Answer) {
  return {
    prompt_tokens: answer.inputTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.inputTokens + answer.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

const finishReason = (answer: Answer) => (answer.stop === "length" ? "length" : "stop");

function streamFrames(request: ParsedRequest, answer: Answer, created: number): SseFrame[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): SseFrame => ({
    data: JSON.stringify({
      id: answer.id,
      object: "chat.completion.chunk",
      created,
      model: request.model,
      system_fingerprint: "fp_mock",
      choices,
      ...(request.includeUsage ? { usage: null } : {}),
      ...extra,
    }),
  });
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  const frames = [delta({ role: "assistant", content: "", refusal: null })];
  for (const piece of textPieces(answer.text)) frames.push(delta({ content: piece }));
  frames.push(delta({}, finishReason(answer)));
  if (request.includeUsage) frames.push(chunk([], { usage: usage(answer) }));
  frames.push({ data: "[DONE]" });
  return frames;
}

export const openaiDialect: Dialect = {
  name: "openai",
  requestIdHeader: "x-request-id",
  newId: (prefix) => (prefix === "request" ? "req_" : "chatcmpl-") + randomBytes(16).toString("hex"),
  keyOf(headers: IncomingHttpHeaders) {
    return /^Bearer (.+)$/i.exec(headers.authorization ?? "")?.[1];
  },
  parse,
  failure(kind, detail): Failure {
    const error = ERRORS[kind];
    const message =
      detail.message ??
      (kind === "not_found"
        ? `The model \`${detail.model}\` does not exist or you do not have access to it.`
        : error.message.replace("{model}", detail.model));
    return {
      status: detail.status ?? error.status,
      body: { error: { message, type: error.type, param: null, code: error.code } },
    };
  },
  rateLimitHeaders(reading: MeterReading) {
    const headers: Record<string, string> = {};
    for (const [dimension, name] of [
      ["requests", "requests"],
      ["tokens", "tokens"],
    ] as const) {
      const limit = reading[dimension];
      if (!limit) continue;
      headers[`x-ratelimit-limit-${name}`] = String(limit.limit);
      headers[`x-ratelimit-remaining-${name}`] = String(limit.remaining);
      headers[`x-ratelimit-reset-${name}`] = formatDuration(limit.resetMs);
    }
    return headers;
  },
  completionBody(request, answer, created) {
    return {
      id: answer.id,
      object: "chat.completion",
      created,
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: answer.text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason(answer),
        },
      ],
      usage: usage(answer),
      service_tier: "default",
      system_fingerprint: "fp_mock",
    };
  },
  streamFrames,
  streamErrorFrame: () => ({
    data: JSON.stringify({
      error: { message: ERRORS.server.message, type: "server_error", param: null, code: null },
    }),
  }),
};
