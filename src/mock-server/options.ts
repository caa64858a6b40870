/** How the mock server behaves. Every field is optional; the defaults answer every request at once. */
export interface MockServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Requests per minute allowed for each key; unlimited when absent or 0. */
  rpm?: number;
  /**
   * Tokens per minute allowed for each key, charged as prompt tokens plus `max_tokens` (else the
   * answer's tokens); unlimited when absent or 0.
   */
  tpm?: number;
  /**
   * Enforce limits over one-second windows (a sixtieth of the per-minute limit each second), as
   * providers may, instead of over a sliding minute.
   */
  strict?: boolean;
  /** Milliseconds to wait before answering each request. */
  latencyMs?: number;
  /** Fraction of requests, in [0, 1], answered with a 500. */
  failRate?: number;
  /** Keys answered with 401. Any other key is accepted. */
  invalidKeys?: readonly string[];
  /** Keys whose account has no credit: OpenAI's 429 `insufficient_quota`, Anthropic's 400 billing error. */
  quotaKeys?: readonly string[];
  /** `retry-after` of a 429 injected with `[[fault:429]]`, in milliseconds (1000 by default). */
  faultRetryAfterMs?: number;
  /** Provider batches end this many milliseconds after they are created (0: at the next look). */
  batchDelayMs?: number;
  /** The answer to a batch's create call comes this much later than the batch exists (crash rehearsals). */
  batchCreateDelayMs?: number;
  /** OpenAI's enqueued-token limit per key and model: a batch beyond it fails with `token_limit_exceeded`. */
  batchQueueTokens?: number;
  /** Clock and random source, injectable for deterministic tests. */
  now?: () => number;
  random?: () => number;
  /**
   * The request log: called with one line a request once it has ended — time, method, path, the key's
   * fingerprint, the status (or how it ended without one) and the latency. No log when absent.
   */
  log?: (line: string) => void;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  rpm: number | undefined;
  tpm: number | undefined;
  strict: boolean;
  latencyMs: number;
  failRate: number;
  invalidKeys: ReadonlySet<string>;
  quotaKeys: ReadonlySet<string>;
  faultRetryAfterMs: number;
  batchDelayMs: number;
  batchCreateDelayMs: number;
  batchQueueTokens: number | undefined;
  now: () => number;
  random: () => number;
  log: ((line: string) => void) | undefined;
}

function check(name: string, value: number | undefined, max = Number.POSITIVE_INFINITY): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= max)) {
    throw new RangeError(`mock server option ${name} must be a number between 0 and ${max}, got ${value}`);
  }
}

export function resolveOptions(options: MockServerOptions): ResolvedOptions {
  check("port", options.port, 65535);
  check("rpm", options.rpm);
  check("tpm", options.tpm);
  check("latencyMs", options.latencyMs);
  check("failRate", options.failRate, 1);
  check("faultRetryAfterMs", options.faultRetryAfterMs);
  check("batchDelayMs", options.batchDelayMs);
  check("batchCreateDelayMs", options.batchCreateDelayMs);
  check("batchQueueTokens", options.batchQueueTokens);
  return {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    rpm: options.rpm || undefined,
    tpm: options.tpm || undefined,
    strict: options.strict ?? false,
    latencyMs: options.latencyMs ?? 0,
    failRate: options.failRate ?? 0,
    invalidKeys: new Set(options.invalidKeys ?? []),
    quotaKeys: new Set(options.quotaKeys ?? []),
    faultRetryAfterMs: options.faultRetryAfterMs ?? 1000,
    batchDelayMs: options.batchDelayMs ?? 0,
    batchCreateDelayMs: options.batchCreateDelayMs ?? 0,
    batchQueueTokens: options.batchQueueTokens || undefined,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    log: options.log,
  };
}
