/** How a run goes through providers' batch APIs (`--via batch`). */
export interface BatchModeSettings {
  /** `--detach`: submit what is pending, collect what has ended, and return. */
  detach: boolean;
  /** `--batch-size`: most requests a batch (within the provider's own limit). */
  batchSize: number | undefined;
  /** `--poll-interval`: the first wait between polls, doubling up to `MAX_POLL_MS`. */
  pollIntervalMs: number;
  /** `--batch-queue-tokens`: most estimated prompt tokens enqueued per scope and model (OpenAI's cap). */
  queueTokens: number | undefined;
  maxAttempts: number;
}

export const DEFAULT_POLL_MS = 30_000;
export const MAX_POLL_MS = 5 * 60_000;
