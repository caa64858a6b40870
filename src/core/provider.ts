import type { ChatMessage, RequestParams, Usage } from "./types.js";

/** What a provider is asked for: one chat completion. */
export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  params: RequestParams;
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
 * rejects with a `ProviderError` whose type says what went wrong.
 */
export interface Provider {
  readonly name: string;
  complete(request: CompletionRequest, context: CallContext): Promise<Completion>;
}

/** Options every provider module's factory accepts. */
export interface ProviderOptions {
  /** Random source in [0, 1); injected for deterministic tests. */
  random?: () => number;
}

/** The shape of a provider module under providers/<name>/index.ts. */
export interface ProviderModule {
  createProvider(options: ProviderOptions): Provider;
}
