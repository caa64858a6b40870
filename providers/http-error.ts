import { type ErrorType, ProviderError } from "../src/core/errors.js";
import type { CallContext } from "../src/core/provider.js";

/**
 * A failed HTTP exchange with a provider, as both SDKs report it. `kind` is what the provider's
 * error body says beyond the status (an `insufficient_quota` code, an `overloaded_error` type…).
 */
export interface HttpFailure {
  provider: string;
  status: number | undefined;
  headers: Headers | undefined;
  message: string;
  requestId: string | undefined;
  kind?: ErrorType | undefined;
  /** A 429 for a request larger than the limit itself, which no wait will let through. */
  exceedsLimit?: boolean | undefined;
  /** The key the request was sent with, so it can be kept out of the message. */
  key?: string | undefined;
  /** The base URL the request went to, named in the message. */
  endpoint?: string | undefined;
  cause?: unknown;
}

/** How a status is classified when the body says nothing more specific. */
export function typeForStatus(status: number): ErrorType {
  switch (status) {
    case 401:
    case 403:
      return "auth";
    case 402:
      return "quota_exhausted";
    case 408:
    case 504:
      return "timeout";
    case 409:
    case 500:
    case 502:
      return "server";
    case 429:
      return "rate_limited";
    case 503:
    case 529:
      return "overloaded";
    default:
      return status >= 500 ? "server" : "bad_request";
  }
}

export function classifyHttpFailure(failure: HttpFailure, now: number = Date.now()): ProviderError {
  const type = failure.kind ?? (failure.status === undefined ? "server" : typeForStatus(failure.status));
  const message = `${failure.provider}: ${failure.message}${where(failure.endpoint)}`;
  return new ProviderError(redactKey(message, failure.key), {
    type,
    status: failure.status,
    requestId: failure.requestId ?? undefined,
    retryAfterMs: failure.headers ? retryAfterMs(failure.headers, now) : undefined,
    exceedsLimit: type === "rate_limited" && failure.exceedsLimit === true,
    endpoint: failure.endpoint,
    cause: failure.cause,
  });
}

/** ` (http://127.0.0.1:8000/v1)`: which server said it, or nothing when that is not known. */
function where(endpoint: string | undefined, code?: string): string {
  const parts = [endpoint, code].filter((part) => part !== undefined);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/**
 * Whether a 429's message says the request alone is over the limit ("Request too large for
 * gpt-4o-mini … on tokens per min (TPM): Limit 30000, Requested 50000"), unlike a limit reached by
 * what was sent lately ("Limit 30000, Used 25000, Requested 6000. Please try again in 2s").
 */
export function saysTooLarge(message: string): boolean {
  if (/request too large/i.test(message)) return true;
  const numbers = /\blimit (\d+), requested (\d+)/i.exec(message);
  return numbers !== null && Number(numbers[2]) > Number(numbers[1]);
}

/** A request stopped by its signal: `timeout` when the signal timed out, `cancelled` otherwise. */
export function abortedError(
  provider: string,
  signal: AbortSignal,
  cause?: unknown,
  endpoint?: string,
): ProviderError {
  const reason: unknown = signal.reason;
  if (reason instanceof ProviderError) return reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  const what = timedOut ? "request timed out" : "request cancelled";
  return new ProviderError(`${provider}: ${what}${where(endpoint)}`, {
    type: timedOut ? "timeout" : "cancelled",
    endpoint,
    cause,
  });
}

/**
 * Error codes of a connection that reached nothing: refused, no route, or a host name that does
 * not resolve. Unlike a connection reset or cut mid-answer, nothing at the endpoint has answered.
 */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * The connection failed or was cut before a complete answer arrived. `failure` is what went wrong
 * (an error, whose causes are searched for a system error code, or a description). The message
 * names the endpoint and the cause: `openai: cannot connect to http://127.0.0.1:1/v1 (ECONNREFUSED)`,
 * `openai: socket hang up (https://api.openai.com/v1, ECONNRESET)`.
 */
export function connectionError(
  provider: string,
  failure: unknown,
  options: { endpoint?: string | undefined; key?: string | undefined } = {},
): ProviderError {
  const { endpoint, key } = options;
  const found = systemError(failure);
  const code = found?.code;
  const unreachable = code !== undefined && UNREACHABLE_CODES.has(code);
  let message: string;
  if (unreachable) {
    message = `cannot connect to ${endpoint ?? "the provider"} (${code})`;
  } else {
    const detail = found?.message ?? innermostMessage(failure);
    message = `${detail}${where(endpoint, code !== undefined && !detail.includes(code) ? code : undefined)}`;
  }
  return new ProviderError(redactKey(`${provider}: ${message}`, key), {
    type: "connection",
    endpoint,
    unreachable,
    ...(typeof failure === "string" ? {} : { cause: failure }),
  });
}

/**
 * The system error (`code: "ECONNREFUSED"`…) behind a failure: the error itself, its causes, or one
 * of an AggregateError's (Node tries each address of a host name in turn).
 */
function systemError(failure: unknown, depth = 0): { code: string; message: string } | undefined {
  if (depth > 8 || failure === null || typeof failure !== "object") return undefined;
  const error = failure as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (
    typeof error.code === "string" &&
    /^(E[A-Z0-9_]+|ERR_[A-Z0-9_]+|UND_ERR_[A-Z0-9_]+)$/.test(error.code)
  ) {
    return { code: error.code, message: typeof error.message === "string" ? error.message : error.code };
  }
  const inner = systemError(error.cause, depth + 1);
  if (inner) return inner;
  if (Array.isArray(error.errors)) {
    for (const each of error.errors) {
      const found = systemError(each, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** The most specific message of a failure: its innermost cause's, or the text given. */
function innermostMessage(failure: unknown): string {
  let message = typeof failure === "string" ? failure : String(failure);
  let current: unknown = failure;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current.message !== "") message = current.message;
    current = current.cause;
  }
  return message;
}

/** `retry-after-ms` first, then `retry-after` (seconds or an HTTP date), in milliseconds. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Replaces every occurrence of the key in a message. */
export function redactKey(message: string, key: string | undefined): string {
  if (key === undefined || key.length < 4) return message;
  return message.split(key).join("[redacted key]");
}

/** What both SDKs' `APIError` carries. */
export interface SdkApiError extends Error {
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  readonly requestID?: string | null | undefined;
}

type ErrorClass<E = unknown> = abstract new (...args: never[]) => E;

/** The error classes both SDKs export (they are generated from one template). */
export interface SdkErrorClasses<E extends SdkApiError> {
  APIError: ErrorClass<E>;
  APIUserAbortError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
}

/** How a provider's SDK errors are read beyond their status. */
export interface SdkErrorReading<E extends SdkApiError> {
  /** What the error body says beyond the status (a quota code, an overloaded type…). */
  kindOf: (error: E) => ErrorType | undefined;
  /** Whether a 429 is for a request larger than the limit itself. */
  exceedsLimit?: (error: E) => boolean;
  /** A one-line message for users; the SDK's own message by default. */
  messageOf?: (error: E) => string;
}

/**
 * Turns any failure of an SDK call into a classified ProviderError whose message names the
 * endpoint (`endpoint`, by default the context's base URL) and the cause.
 */
export function sdkErrorClassifier<E extends SdkApiError>(
  provider: string,
  classes: SdkErrorClasses<E>,
  reading: SdkErrorReading<E>,
): (error: unknown, context: CallContext, endpoint?: string) => ProviderError {
  return (error, context, endpoint = context.baseUrl) => {
    if (error instanceof ProviderError) return error;
    if (error instanceof classes.APIUserAbortError || context.signal.aborted) {
      return abortedError(provider, context.signal, error, endpoint);
    }
    if (error instanceof classes.APIConnectionTimeoutError) {
      return new ProviderError(`${provider}: request timed out${where(endpoint)}`, {
        type: "timeout",
        endpoint,
        cause: error,
      });
    }
    if (error instanceof classes.APIError && !(error instanceof classes.APIConnectionError)) {
      return classifyHttpFailure({
        provider,
        status: error.status,
        headers: error.headers,
        message: reading.messageOf?.(error) ?? error.message,
        requestId: error.requestID ?? undefined,
        kind: reading.kindOf(error),
        exceedsLimit: error.status === 429 && reading.exceedsLimit?.(error) === true,
        key: context.key,
        endpoint,
        cause: error,
      });
    }
    // The connection failed (refused, reset, a host name that does not resolve), or something else
    // happened on the way (a body cut off mid-stream, a socket error): the cause is in the error.
    return connectionError(provider, error, { endpoint, key: context.key });
  };
}
