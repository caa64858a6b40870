import type { ChatMessage, RequestParams, Usage } from "./types.js";

/** What a provider is asked for: one chat completion. */
export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  params: RequestParams;
  /**
   * Which sample of the same request this is (eval's `--repeat`). Never sent to an API; the offline
   * mock draws its randomness from it, so repeats of one request are distinct samples there too.
   */
  sample?: number;
}

/** Per-call context: the key to use, where to send it, and how to stop. */
export interface CallContext {
  key?: string | undefined;
  baseUrl?: string | undefined;
  signal: AbortSignal;
  /** Ask for a streamed answer (SSE) and assemble it; the completion is the same either way. */
  stream?: boolean | undefined;
}

/** Rate-limit state the provider reported with a response (headers). */
export interface RateLimitSnapshot {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Milliseconds until the request / token budget is fully restored. */
  resetRequestsMs?: number;
  resetTokensMs?: number;
  /** Anthropic meters input and output tokens separately as well. */
  limitInputTokens?: number;
  remainingInputTokens?: number;
  resetInputTokensMs?: number;
  limitOutputTokens?: number;
  remainingOutputTokens?: number;
  resetOutputTokensMs?: number;
}

/** A normalized answer. */
export interface Completion {
  text: string;
  usage: Usage;
  finishReason: string;
  requestId?: string | undefined;
  rateLimit?: RateLimitSnapshot | undefined;
}

/**
 * One provider behind one small interface. `complete` resolves with a normalized completion or
 * rejects with a `ProviderError` whose type says what went wrong. A provider with a batch API
 * (OpenAI's Batch API, Anthropic's Message Batches) may also offer `batch`.
 */
export interface Provider {
  readonly name: string;
  complete(request: CompletionRequest, context: CallContext): Promise<Completion>;
  /**
   * The embedding of the request's message text (one message), for eval's `similar`. It resolves
   * with a completion whose `text` is the vector as JSON, so the engine carries it like any answer
   * (keys, limits, retries, cost); a provider without embeddings leaves it out.
   */
  embed?(request: CompletionRequest, context: CallContext): Promise<Completion>;
  batch?: BatchCapability;
}

/** One request of a provider batch: `customId` names it in the results. */
export interface BatchRequest {
  customId: string;
  request: CompletionRequest;
}

/** Where a provider batch stands: the provider's own lifecycle, in one vocabulary. */
export type BatchState =
  | "validating"
  | "in_progress"
  | "finalizing"
  | "cancelling"
  /** Every request has an answer (or an error) to collect. */
  | "ended"
  | "expired"
  | "cancelled"
  | "failed";

/** States after which a batch changes no more: its results (if any) can be collected. */
export const FINAL_BATCH_STATES: ReadonlySet<BatchState> = new Set([
  "ended",
  "expired",
  "cancelled",
  "failed",
]);

/** Where a provider batch stands. */
export interface BatchStatus {
  id: string;
  state: BatchState;
  counts: { total: number; succeeded: number; failed: number };
  /** Epoch ms when the provider created it. */
  createdAt?: number | undefined;
  /** Epoch ms after which the provider gives up on the batch. */
  expiresAt?: number | undefined;
  /** Why a `failed` batch failed, e.g. OpenAI's `token_limit_exceeded` (the enqueued-token cap). */
  failure?: { code: string; message: string } | undefined;
}

/** A failed batch request as the provider classified it (a `ProviderError`'s fields). */
export interface ProviderErrorLike {
  type: string;
  message: string;
  status?: number | undefined;
}

/**
 * One line of a provider batch's results: an answer, a request's failure classified as a live one
 * would be, or a request the batch never ran (it expired or was cancelled first).
 */
export type BatchResult =
  | { customId: string; kind: "answer"; completion: Completion }
  | { customId: string; kind: "error"; error: ProviderErrorLike }
  | { customId: string; kind: "unfinished"; reason: "expired" | "cancelled" };

/** A chunk to submit: its requests, one encoded line each (`encode`), in a file read as a stream. */
export interface BatchSubmission {
  /** Random, recorded before any call: it travels with the batch so a lost answer can be found again. */
  nonce: string;
  model: string;
  /** A file of `encode`d lines, one a request, newline-terminated. */
  path: string;
  requests: number;
}

/** What finds a batch whose create call was sent but never recorded (the process died, the answer was lost). */
export interface BatchLookup {
  nonce: string;
  /** How many requests it holds. */
  requests: number;
  /** Epoch ms the chunk was recorded: the batch cannot be older. */
  since: number;
  /** Batches known already (adopted by other chunks): never one of them. */
  known: ReadonlySet<string>;
}

/** Context of a batch call: the key, the endpoint, and how to stop waiting. */
export type BatchContext = Omit<CallContext, "stream">;

/**
 * A provider's batch API (half price, answers within a day): submit requests, poll the batch,
 * read its results, cancel it. Batch mode (`--via batch`) drives it; `complete` stays the live path.
 * `submit` is never retried blindly: after a failure or a crash, `find` says whether the batch exists.
 */
export interface BatchCapability {
  /** Most requests and bytes (of encoded lines) one batch may hold. */
  readonly limits: { requests: number; bytes: number };
  /** Whether one batch may mix models (Anthropic's may; OpenAI's holds one model). */
  readonly mixesModels: boolean;
  /** One request as a line of the submission (no newline). */
  encode(request: BatchRequest): string;
  submit(submission: BatchSubmission, context: BatchContext): Promise<BatchStatus>;
  find(lookup: BatchLookup, context: BatchContext): Promise<BatchStatus | undefined>;
  poll(batchId: string, context: BatchContext): Promise<BatchStatus>;
  /** The results, streamed, in no particular order. */
  results(batchId: string, context: BatchContext): AsyncIterable<BatchResult>;
  cancel(batchId: string, context: BatchContext): Promise<BatchStatus>;
}

/** Options every provider module's factory accepts; each is injected so tests need no network or waiting. */
export interface ProviderOptions {
  /** Random source in [0, 1); injected for deterministic tests. */
  random?: () => number;
  /** The `fetch` the SDKs send through; by default keep-alive node:http(s) (providers/http-transport.ts). */
  fetch?: typeof fetch;
  /** Waits `ms` (the mock provider's latency), rejecting when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The shape of a provider module under providers/<name>/index.ts. */
export interface ProviderModule {
  createProvider(options: ProviderOptions): Provider;
}
