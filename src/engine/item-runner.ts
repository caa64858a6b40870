import { admissionCharge, settledCharge } from "../core/charge.js";
import type { Clock } from "../core/clock.js";
import { NoUsableKeyError, ProviderError } from "../core/errors.js";
import type { KeyBroker, KeyLease } from "../core/key-broker.js";
import type { EventSink } from "../core/events.js";
import type { Completion, Provider } from "../core/provider.js";
import {
  formatModelRef,
  type Item,
  type ItemError,
  type ItemResult,
  type ModelRef,
  type Usage,
} from "../core/types.js";
import { attemptSignal } from "./attempt-signal.js";
import { retryDelayMs } from "./backoff.js";
import type { BreakerBoard } from "./circuit-breaker.js";
import type { Reservation, SpendingCap } from "./spending-cap.js";

export interface ItemRunnerOptions {
  provider: (name: string) => Promise<Provider>;
  /** Lends a key for each request, within its scope's limits. */
  keys: KeyBroker;
  breakers: BreakerBoard;
  /** Models to route to, in order, when the item's own model keeps failing. */
  fallbacks: readonly ModelRef[];
  promptTokens: (item: Item) => number;
  /** What an answer from `model` (`provider:model`) cost; null when the model has no price. */
  costOf: (model: string, usage: Usage) => number | null;
  /** `--max-cost`: the cap, and the worst-case cost of a request before it is sent. */
  spending?: {
    cap: SpendingCap;
    worstCase: (model: string, promptTokens: number, maxTokens: number | undefined) => number;
  };
  maxAttempts: number;
  timeoutMs: number | undefined;
  stream: boolean;
  clock: Clock;
  emit: EventSink;
}

/**
 * How a stopping run reaches its items: `halt` ends waiting (for a key, a budget, a backoff) and
 * starts no new attempt; `abandon` also cuts requests in flight. Either leaves the item pending.
 */
export interface RunSignals {
  halt: AbortSignal;
  abandon: AbortSignal;
}

/** An item's result, and the limit scope of the key that sent its last attempt (for reporters). */
export interface ItemOutcome {
  result: ItemResult;
  scope?: string;
}

/** Thrown out of `runItem` when the run is stopping: the item stays pending. */
export class ItemAbandoned extends Error {}

/** 429s are the budget's business, not the item's: an item gives up only after this many per attempt allowed. */
const RATE_LIMITS_PER_ATTEMPT = 20;

/**
 * Runs one item to its final result: waits for a key and budget, sends it, retries what is transient
 * with backoff, moves to the next fallback model when one keeps failing (or its circuit is open), and
 * turns a permanent failure into an error result. A stopping run abandons the item (not recorded).
 */
export async function runItem(
  item: Item,
  signals: RunSignals,
  options: ItemRunnerOptions,
): Promise<ItemOutcome> {
  const { halt, abandon } = signals;
  const { clock, emit, keys } = options;
  const primary = formatModelRef(item.request.model);
  const chain = [item.request.model, ...options.fallbacks.filter((m) => formatModelRef(m) !== primary)];
  const promptTokens = options.promptTokens(item);
  const maxTokens = item.request.params.max_tokens;
  let step = 0;
  let attemptsOnModel = 0;
  let sent = 0;
  let rateLimits = 0;
  const next = () => {
    if (step + 1 >= chain.length) return false;
    step++;
    attemptsOnModel = 0;
    return true;
  };

  for (;;) {
    if (halt.aborted) throw new ItemAbandoned();
    const ref = chain[step] as ModelRef;
    const model = formatModelRef(ref);
    const breaker = options.breakers.for(model);
    const gate = breaker.admit(clock.now());
    if (!gate.ok) {
      if (next()) continue;
      // An open circuit is the model failing: waiting it out costs an attempt (not waiting for a
      // probe in flight), so a dead model fails its items after --max-attempts.
      if (!gate.probing && ++attemptsOnModel >= options.maxAttempts) {
        const error = breaker.lastError ?? { type: "server", message: "the model keeps failing" };
        const message = `${error.message} (circuit open)`;
        return { result: failure(item, model, sent, 0, { ...error, message }, undefined) };
      }
      await pause(clock, gate.waitMs, halt);
      continue;
    }
    // Loaded before the lease: the scope charges the request when it admits it, so it must go out then.
    const provider = await options.provider(ref.provider);
    let reservation: Reservation | undefined;
    let lease: KeyLease;
    try {
      const { spending } = options;
      if (spending) reservation = spending.cap.reserve(spending.worstCase(model, promptTokens, maxTokens));
      lease = await keys.acquire(ref.provider, admissionCharge(promptTokens, maxTokens), halt);
    } catch (error) {
      if (reservation) options.spending?.cap.settle(reservation, 0);
      if (gate.probe) breaker.released();
      if (halt.aborted) throw new ItemAbandoned();
      if (error instanceof NoUsableKeyError && next()) continue;
      throw error;
    }
    sent++;
    emit({ type: "item_start", id: item.id, index: item.index, attempt: sent, model });
    const outcome = await send(provider, item, ref, lease, abandon, options);
    const latency = clock.now() - lease.startedAt;

    if (!(outcome instanceof ProviderError)) {
      keys.succeeded(lease, settledCharge(outcome.usage, maxTokens), outcome.rateLimit);
      breaker.succeeded();
      const cost = options.costOf(model, outcome.usage);
      if (reservation) options.spending?.cap.settle(reservation, cost ?? 0);
      const result: ItemResult = {
        id: item.id,
        status: "ok",
        output: outcome.text,
        model,
        usage: outcome.usage,
        cost_usd: cost,
        latency_ms: latency,
        attempts: sent,
        finish_reason: outcome.finishReason,
        error: null,
        key: lease.fingerprint,
        ...(outcome.requestId ? { request_id: outcome.requestId } : {}),
      };
      return { result, scope: lease.scope };
    }

    const error = outcome;
    if (reservation) options.spending?.cap.settle(reservation, 0); // a refused request is not billed
    keys.failed(lease, error);
    if (error.type === "cancelled" && abandon.aborted) throw new ItemAbandoned();
    if (error.retryable && error.type !== "rate_limited") breaker.failed(clock.now(), itemError(error));
    else if (error.type === "auth" || error.type === "quota_exhausted" || error.type === "rate_limited")
      breaker.released();
    else breaker.succeeded();

    if (error.type === "auth" || error.type === "quota_exhausted") continue; // the key is out; try another
    if (error.type === "rate_limited") {
      rateLimits++;
      if (rateLimits <= RATE_LIMITS_PER_ATTEMPT * options.maxAttempts) continue; // the scope cools down first
    } else if (error.retryable) {
      attemptsOnModel++;
      if (attemptsOnModel < options.maxAttempts) {
        const delayMs = retryDelayMs(attemptsOnModel, error, clock.random);
        emit({
          type: "retry",
          id: item.id,
          attempt: sent,
          error: { type: error.type, message: error.message },
          delayMs,
        });
        await pause(clock, delayMs, halt);
        continue;
      }
      if (next()) continue;
    } else if (error.status === 404 && next()) {
      continue; // the model does not exist here: try the next one
    }
    return {
      result: failure(item, model, sent, latency, itemError(error), lease.fingerprint, error.requestId),
      scope: lease.scope,
    };
  }
}

function itemError(error: ProviderError): ItemError {
  return { type: error.type, message: error.message, ...(error.status ? { status: error.status } : {}) };
}

/** A permanent failure as the item's result; nothing was billed for it. */
function failure(
  item: Item,
  model: string,
  attempts: number,
  latency: number,
  error: ItemError,
  key: string | undefined,
  requestId?: string,
): ItemResult {
  return {
    id: item.id,
    status: "error",
    output: null,
    model,
    usage: null,
    cost_usd: 0,
    latency_ms: latency,
    attempts,
    finish_reason: null,
    error,
    ...(key ? { key } : {}),
    ...(requestId ? { request_id: requestId } : {}),
  };
}

async function pause(clock: Clock, ms: number, stop: AbortSignal): Promise<void> {
  try {
    await clock.sleep(ms, stop);
  } catch {
    throw new ItemAbandoned();
  }
}

/** One attempt: the completion, or the failure classified. */
async function send(
  provider: Provider,
  item: Item,
  model: ModelRef,
  lease: KeyLease,
  stop: AbortSignal,
  options: ItemRunnerOptions,
): Promise<Completion | ProviderError> {
  const attempt = attemptSignal(stop, options.timeoutMs, options.clock);
  try {
    return await provider.complete(
      { model: model.model, messages: item.request.messages, params: item.request.params },
      { key: lease.credential.key, baseUrl: lease.credential.baseUrl, signal: attempt.signal, stream: options.stream },
    );
  } catch (thrown) {
    return classify(thrown, attempt.signal, options.timeoutMs);
  } finally {
    attempt.dispose();
  }
}

/** Any failure as a classified provider error; an abort by the attempt's timeout becomes `timeout`. */
function classify(thrown: unknown, signal: AbortSignal, timeoutMs: number | undefined): ProviderError {
  const timedOut =
    signal.aborted && (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
  if (timedOut) {
    return new ProviderError(`no answer within ${((timeoutMs ?? 0) / 1000).toFixed(1)} s (--timeout)`, {
      type: "timeout",
    });
  }
  if (thrown instanceof ProviderError) return thrown;
  if (signal.aborted) return new ProviderError("cancelled", { type: "cancelled" });
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ProviderError(`unexpected failure: ${message}`, { type: "server", cause: thrown });
}
