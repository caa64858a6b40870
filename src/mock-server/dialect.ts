import type { IncomingHttpHeaders } from "node:http";
import type { MeterReading } from "./rate-meter.js";
import type { RequestedSchema } from "./structured-answer.js";

/** What the mock needs from a request, whichever API it came in. */
export interface ParsedRequest {
  model: string;
  /** The text of every message (and the system prompt), for token counts and fault directives. */
  prompt: string;
  /** The text of the last user message: the answer. */
  lastUserText: string;
  maxTokens: number | undefined;
  stop: readonly string[];
  stream: boolean;
  /** OpenAI: `stream_options.include_usage`, a final chunk with the usage. */
  includeUsage: boolean;
  /** The schema the answer must follow (`response_format`, or Anthropic's forced tool). */
  schema?: RequestedSchema | undefined;
  /** The input tokens of the request's images (`image-tokens.ts`). */
  imageTokens?: number | undefined;
}

export type StopKind = "stop" | "length" | "stop_sequence";

/** The echo answer to a request. */
export interface Answer {
  id: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
  stop: StopKind;
  stopSequence: string | undefined;
}

export type FailureKind =
  | "bad_request"
  | "invalid_key"
  | "permission"
  | "not_found"
  | "rate_limited"
  | "too_large"
  | "quota"
  | "content_filter"
  | "server"
  | "overloaded";

/** An error response in a provider's shape. */
export interface Failure {
  status: number;
  body: unknown;
}

/** One SSE event; `event` is the event name line, when the API sends one. */
export interface SseFrame {
  event?: string;
  data: string;
}

/** One provider's wire format: how a request is read and an answer or error is written. */
export interface Dialect {
  readonly name: "openai" | "anthropic";
  readonly requestIdHeader: string;
  newId(prefix: "request" | "answer"): string;
  keyOf(headers: IncomingHttpHeaders): string | undefined;
  /** The request, or what is wrong with it. */
  parse(body: unknown): ParsedRequest | string;
  /** The error response for a kind of failure; `status` overrides the provider's usual one. */
  failure(kind: FailureKind, detail: { model: string; message?: string; status?: number }): Failure;
  rateLimitHeaders(reading: MeterReading, now: number): Record<string, string>;
  completionBody(request: ParsedRequest, answer: Answer, created: number): unknown;
  streamFrames(request: ParsedRequest, answer: Answer, created: number): SseFrame[];
  /** The error event a stream carries when the server fails after it has started answering. */
  streamErrorFrame(): SseFrame;
}

/** The usual failure for a status given in a fault. */
export function failureForStatus(status: number): FailureKind {
  if (status === 401) return "invalid_key";
  if (status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 503 || status === 529) return "overloaded";
  return status >= 500 ? "server" : "bad_request";
}

/** Rough token count: four characters a token. */
export function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Echoes the last user message, cut at the first stop sequence and at `max_tokens`. */
export function echoAnswer(request: ParsedRequest, id: string): Answer {
  let text = request.lastUserText;
  let stop: StopKind = "stop";
  let stopSequence: string | undefined;
  for (const sequence of request.stop) {
    const at = sequence === "" ? -1 : text.indexOf(sequence);
    if (at >= 0) {
      text = text.slice(0, at);
      stop = "stop_sequence";
      stopSequence = sequence;
    }
  }
  if (request.maxTokens !== undefined && roughTokens(text) > request.maxTokens) {
    text = text.slice(0, request.maxTokens * 4);
    stop = "length";
    stopSequence = undefined;
  }
  return {
    id,
    text,
    inputTokens: roughTokens(request.prompt) + (request.imageTokens ?? 0),
    outputTokens: roughTokens(text),
    stop,
    stopSequence,
  };
}

/** The answer in pieces, a word (with its trailing space) each, as a model streams them. */
export function textPieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);
}

/** The text of a message's content in either API: a string, or text parts/blocks. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) =>
      typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text"
        ? String((part as { text?: unknown }).text ?? "")
        : "",
    )
    .filter((text) => text !== "")
    .join("\n");
}

/** Validation helpers shared by the dialects' parsers. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stopList(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === "string") : [];
}
