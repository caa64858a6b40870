import type { Completion, Provider } from "../../providers/types.js";
import { ProviderError } from "../errors.js";
import { formatModelRef, type Item, type ItemResult } from "../types.js";
import { attemptSignal } from "./attempt-signal.js";
import { retryDelayMs } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { EventSink } from "./events.js";

/** Credentials and endpoint for one request to a provider. */
export interface Credentials {
  key?: string | undefined;
  baseUrl?: string | undefined;
}

export interface ItemRunnerOptions {
  provider: (name: string) => Promise<Provider>;
  credentials: (provider: string) => Credentials;
  maxAttempts: number;
  timeoutMs: number | undefined;
  clock: Clock;
  emit: EventSink;
}

/** Thrown out of `runItem` when the run is stopping: the item stays pending. */
export class ItemAbandoned extends Error {}

/**
 * Runs one item to its final result: sends it, retries what is transient with backoff, and turns a
 * permanent failure into an error result. `stop` abandons the item (it is not recorded).
 */
export async function runItem(
  item: Item,
  stop: AbortSignal,
  options: ItemRunnerOptions,
): Promise<ItemResult> {
  const { clock, emit } = options;
  const model = formatModelRef(item.request.model);
  const provider = await options.provider(item.request.model.provider);
  const credentials = options.credentials(item.request.model.provider);
  for (let attempt = 1; ; attempt++) {
    if (stop.aborted) throw new ItemAbandoned();
    emit({ type: "item_start", id: item.id, index: item.index, attempt, model });
    const started = clock.now();
    const outcome = await send(provider, item, credentials, stop, options.timeoutMs);
    const latency = clock.now() - started;
    if (!(outcome instanceof ProviderError)) {
      return {
        id: item.id,
        status: "ok",
        output: outcome.text,
        model,
        usage: outcome.usage,
        cost_usd: null,
        latency_ms: latency,
        attempts: attempt,
        finish_reason: outcome.finishReason,
        error: null,
        ...(outcome.requestId ? { request_id: outcome.requestId } : {}),
      };
    }
    const error = outcome;
    if (!error.retryable || attempt >= options.maxAttempts) {
      return {
        id: item.id,
        status: "error",
        output: null,
        model,
        usage: null,
        cost_usd: null,
        latency_ms: latency,
        attempts: attempt,
        finish_reason: null,
        error: {
          type: error.type,
          message: error.message,
          ...(error.status ? { status: error.status } : {}),
        },
        ...(error.requestId ? { request_id: error.requestId } : {}),
      };
    }
    const delayMs = retryDelayMs(attempt, error, clock.random);
    emit({
      type: "retry",
      id: item.id,
      attempt,
      error: { type: error.type, message: error.message },
      delayMs,
    });
    try {
      await clock.sleep(delayMs, stop);
    } catch {
      throw new ItemAbandoned();
    }
  }
}

/** One attempt: the completion, or the failure classified. Throws `ItemAbandoned` if the run stops. */
async function send(
  provider: Provider,
  item: Item,
  credentials: Credentials,
  stop: AbortSignal,
  timeoutMs: number | undefined,
): Promise<Completion | ProviderError> {
  const attempt = attemptSignal(stop, timeoutMs);
  try {
    return await provider.complete(
      { model: item.request.model.model, messages: item.request.messages, params: item.request.params },
      { key: credentials.key, baseUrl: credentials.baseUrl, signal: attempt.signal },
    );
  } catch (thrown) {
    if (stop.aborted) throw new ItemAbandoned();
    return classify(thrown, timeoutMs);
  } finally {
    attempt.dispose();
  }
}

/** Any failure as a classified provider error; a timeout signal's abort becomes `timeout`. */
function classify(thrown: unknown, timeoutMs: number | undefined): ProviderError {
  if (thrown instanceof ProviderError && thrown.type !== "cancelled") return thrown;
  const name = (thrown as { name?: string } | null)?.name;
  if (name === "TimeoutError" || thrown instanceof ProviderError) {
    return new ProviderError(`request timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s`, {
      type: "timeout",
    });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ProviderError(`unexpected failure: ${message}`, { type: "server", cause: thrown });
}
