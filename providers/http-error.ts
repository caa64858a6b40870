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
  return new ProviderError(redactKey(`${failure.provider}: ${failure.message}`, failure.key), {
    type,
    status: failure.status,
    requestId: failure.requestId ?? undefined,
    retryAfterMs: failure.headers ? retryAfterMs(failure.headers, now) : undefined,
    exceedsLimit: type === "rate_limited" && failure.exceedsLimit === true,
    cause: failure.cause,
  });
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
export function abortedError(provider: string, signal: AbortSignal, cause?: unknown): ProviderError {
  const reason: unknown = signal.reason;
  if (reason instanceof ProviderError) return reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return new ProviderError(timedOut ? `${provider}: request timed out` : `${provider}: request cancelled`, {
    type: timedOut ? "timeout" : "cancelled",
    cause,
  });
}

/** The connection failed or was cut before a complete answer arrived. */
export function connectionError(
  provider: string,
  detail: string,
  key?: string,
  cause?: unknown,
): ProviderError {
  return new ProviderError(redactKey(`${provider}: ${detail}`, key), { type: "connection", cause });
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

/** Turns any failure of an SDK call into a classified ProviderError. */
export function sdkErrorClassifier<E extends SdkApiError>(
  provider: string,
  classes: SdkErrorClasses<E>,
  reading: SdkErrorReading<E>,
): (error: unknown, context: CallContext) => ProviderError {
  return (error, context) => {
    if (error instanceof ProviderError) return error;
    if (error instanceof classes.APIUserAbortError || context.signal.aborted) {
      return abortedError(provider, context.signal, error);
    }
    if (error instanceof classes.APIConnectionTimeoutError) {
      return new ProviderError(`${provider}: request timed out`, { type: "timeout", cause: error });
    }
    if (error instanceof classes.APIConnectionError) {
      return connectionError(provider, (error as Error).message, context.key, error);
    }
    if (error instanceof classes.APIError) {
      return classifyHttpFailure({
        provider,
        status: error.status,
        headers: error.headers,
        message: reading.messageOf?.(error) ?? error.message,
        requestId: error.requestID ?? undefined,
        kind: reading.kindOf(error),
        exceedsLimit: error.status === 429 && reading.exceedsLimit?.(error) === true,
        key: context.key,
        cause: error,
      });
    }
    // Anything else (a body cut off mid-stream, a socket error) happened on the way.
    const message = error instanceof Error ? error.message : String(error);
    return connectionError(provider, message, context.key, error);
  };
}
