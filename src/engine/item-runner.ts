import { admissionCharge, settledCharge } from "../core/charge.js";
import type { Clock } from "../core/clock.js";
import { NoUsableKeyError, ProviderError, StoppedEarlyError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { KeyBroker, KeyLease, LeaseFailure } from "../core/key-broker.js";
import type { Completion, Provider } from "../core/provider.js";
import {
  type AnswerCheck,
  formatModelRef,
  type Item,
  type ItemError,
  type ItemRequest,
  type ItemResult,
  type ModelRef,
  type Usage,
} from "../core/types.js";
import { attemptSignal } from "./attempt-signal.js";
import { retryDelayMs } from "./backoff.js";
import type { BreakerBoard, CircuitBreaker } from "./circuit-breaker.js";
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
    /** At the batch price with `batch` (a request sent in a provider batch). */
    worstCase: (
      model: string,
      promptTokens: number,
      maxTokens: number | undefined,
      options?: { batch?: boolean },
    ) => number;
  };
  maxAttempts: number;
  timeoutMs: number | undefined;
  stream: boolean;
  /**
   * Whether an answer is what its request asked for (`--schema`): an answer that is not is paid for,
   * and retried as `invalid_output` up to `maxAttempts`; by default every answer is.
   */
  checkAnswer?: (request: ItemRequest, text: string) => AnswerCheck;
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
 * An item refused for its key (401/403, quota) is sent again, most likely with another key: the key
 * may be the one at fault. Refused this many times, the row fails with its own error rather than
 * going round every key of the pool. Three, so that a good row meeting two dead keys in a row (each
 * costs two requests before the pool disables it) still gets through.
 */
const REFUSALS_PER_MODEL = 3;

/**
 * Runs one item to its final result: waits for a key and budget, sends it, retries what is transient
 * with backoff, moves to the next fallback model when one keeps failing (or its circuit is open), and
 * turns a permanent failure into an error result. A stopping run abandons the item (not recorded).
 *
 * `attempts` counts the requests sent for the item except the 429s sent again after the scope
 * cooled down, which `rate_limited_retries` counts apart: waiting for the budget costs no attempt,
 * and neither does waiting for an open circuit.
 */
export async function runItem(
  item: Item,
  signals: RunSignals,
  options: ItemRunnerOptions,
): Promise<ItemOutcome> {
  const { halt, abandon } = signals;
  const { clock, emit, keys } = options;
  const primary = formatModelRef(item.request.model);
  const fallbacks = item.request.fallbacks ?? options.fallbacks;
  const chain = [item.request.model, ...fallbacks.filter((m) => formatModelRef(m) !== primary)];
  const rule = item.request.route === undefined ? {} : { rule: item.request.route };
  const promptTokens = options.promptTokens(item);
  const maxTokens = item.request.params.max_tokens;
  const charge = admissionCharge(promptTokens, maxTokens);
  // A model whose probes keep failing, as many times in a row as an item may try (at least twice),
  // is given up on for the items waiting for it.
  const deadAfterTrips = Math.max(2, options.maxAttempts);
  let step = 0;
  let attemptsOnModel = 0;
  let refusals = 0;
  /** The item's own last transient failure on the current model. */
  let ownFailure: Ended | undefined;
  let sent = 0;
  let rateLimitedRetries = 0;
  /** What the item's answers cost so far, invalid ones included: all of it was billed. */
  const billed = new BilledAnswers();
  const next = () => {
    if (step + 1 >= chain.length) return false;
    step++;
    attemptsOnModel = 0;
    refusals = 0;
    ownFailure = undefined;
    return true;
  };
  const end = (model: string, ended: Ended): ItemOutcome => ({
    result: {
      ...failure(item, model, { attempts: sent - rateLimitedRetries, rateLimitedRetries }, ended, billed),
      ...rule,
    },
    ...(ended.scope ? { scope: ended.scope } : {}),
  });

  for (;;) {
    if (halt.aborted) throw new ItemAbandoned();
    const ref = chain[step] as ModelRef;
    const model = formatModelRef(ref);
    const breaker = options.breakers.for(model);
    const gate = breaker.admit(clock.now(), attemptsOnModel);
    if (!gate.ok) {
      if (next()) continue;
      // Waiting for the circuit costs the item no attempt. A model that failed this many probes in a
      // row is failing: each waiting item ends with its own error, or, never sent, says so.
      if (breaker.trips >= deadAfterTrips) return end(model, givenUp(model, breaker, ownFailure));
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
      // Named by the item: a key refusing it again is no new evidence against the key.
      lease = await keys.acquire(ref.provider, charge, halt, item.id);
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
    if (outcome instanceof ProviderError) {
      const error = itemError(outcome);
      emit({ type: "attempt_failed", id: item.id, attempt: sent, model, error, latencyMs: latency });
    }
    // The server this went to (a provider at a base URL): one that answered anything is there.
    const endpoint = `${ref.provider} ${lease.credential.baseUrl ?? ""}`;
    const { endpoints } = options.breakers;
    if (!(outcome instanceof ProviderError) || outcome.status !== undefined) endpoints.reached(endpoint);

    if (!(outcome instanceof ProviderError)) {
      keys.succeeded(lease, settledCharge(outcome.usage, maxTokens), outcome.rateLimit);
      breaker.succeeded();
      const cost = options.costOf(model, outcome.usage);
      if (reservation) options.spending?.cap.settle(reservation, cost ?? 0);
      billed.add(outcome.usage, cost);
      const check = options.checkAnswer?.(item.request, outcome.text) ?? { ok: true };
      if (!check.ok) {
        // Answered and billed, but not what was asked for: sent again, at once (nothing to wait for).
        const error: ItemError = { type: "invalid_output", message: check.problem };
        emit({ type: "attempt_failed", id: item.id, attempt: sent, model, error, latencyMs: latency });
        attemptsOnModel++;
        if (attemptsOnModel < options.maxAttempts) {
          emit({ type: "retry", id: item.id, attempt: sent, error, delayMs: 0 });
          continue;
        }
        const ended: Ended = { error, latency, key: lease.fingerprint, scope: lease.scope };
        if (outcome.requestId) ended.requestId = outcome.requestId;
        return end(model, ended);
      }
      const result: ItemResult = {
        id: item.id,
        status: "ok",
        output: outcome.text,
        ...(check.json !== undefined ? { output_json: check.json } : {}),
        model,
        ...rule,
        usage: billed.usage ?? outcome.usage,
        cost_usd: billed.cost,
        latency_ms: latency,
        attempts: sent - rateLimitedRetries,
        ...(rateLimitedRetries > 0 ? { rate_limited_retries: rateLimitedRetries } : {}),
        finish_reason: outcome.finishReason,
        error: null,
        key: lease.fingerprint,
        ...(outcome.requestId ? { request_id: outcome.requestId } : {}),
      };
      return { result, scope: lease.scope };
    }

    const error = outcome;
    if (reservation) options.spending?.cap.settle(reservation, 0); // a refused request is not billed
    const refused = error.type === "auth" || error.type === "quota_exhausted";
    keys.failed(lease, forTheKey(error));
    if (error.type === "cancelled" && abandon.aborted) throw new ItemAbandoned();
    const waitForBudget = error.type === "rate_limited" && !error.exceedsLimit;
    // Refused by a server that never answered: the endpoint's business (below), not the model's health.
    const neverReached = error.unreachable && !endpoints.hasAnswered(endpoint);
    if (neverReached) breaker.released();
    else if (error.retryable && error.type !== "rate_limited") breaker.failed(clock.now(), itemError(error));
    else if (refused || waitForBudget) breaker.released();
    else breaker.succeeded();

    const ended: Ended = {
      error: itemError(error),
      latency,
      key: lease.fingerprint,
      scope: lease.scope,
      requestId: error.requestId,
    };
    if (refused) {
      if (++refusals < REFUSALS_PER_MODEL) continue; // the key may be at fault: again
      if (next()) continue; // a 403 may be for this model only
    } else if (waitForBudget) {
      if (rateLimitedRetries < RATE_LIMITS_PER_ATTEMPT * options.maxAttempts) {
        rateLimitedRetries++;
        continue; // the scope cools down first
      }
    } else if (error.retryable) {
      attemptsOnModel++;
      ownFailure = ended;
      const unreachable = neverReached && endpoints.refused(endpoint, clock.now());
      if (attemptsOnModel < options.maxAttempts && !unreachable) {
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
      if (neverReached) {
        // Nothing there has ever answered: a wrong URL or a server that is not running. The items
        // waiting for it would wait for hours; the run stops instead (resumable), unless a fallback
        // model is left to try.
        endpoints.giveUp(endpoint);
        if (next()) continue;
        throw new StoppedEarlyError(
          `${error.message}, and nothing there has answered since the run began: is the server running, ` +
            "and is its URL right? The run stopped; run the same command again to resume",
          { cause: error },
        );
      }
      if (next()) continue;
    } else if (error.status === 404 && next()) {
      continue; // the model does not exist here: try the next one
    }
    return end(model, ended);
  }
}

/** How an item's attempt ended in failure: what its error result says. */
interface Ended {
  error: ItemError;
  latency: number;
  key?: string | undefined;
  scope?: string | undefined;
  requestId?: string | undefined;
}

/**
 * The end of an item waiting for a model that keeps failing its probes: its own last failure on the
 * model if it had one, or the model's, saying it was not sent.
 */
function givenUp(model: string, breaker: CircuitBreaker, own: Ended | undefined): Ended {
  const why = `${model} keeps failing: its circuit breaker opened ${breaker.trips} times in a row without a success`;
  if (own) return { ...own, error: { ...own.error, message: `${own.error.message} (not retried: ${why})` } };
  const last = breaker.lastError ?? { type: "server", message: "no answer" };
  return {
    error: { type: last.type, message: `not sent: ${why}; its last error: ${last.message}` },
    latency: 0,
  };
}

/**
 * How a failed request concerns its key and its scope (what the key broker is told). A 429 for a
 * request larger than the limit itself says nothing about the scope's load: it must neither cool the
 * scope down nor end its bursts.
 */
function forTheKey(error: ProviderError): LeaseFailure {
  if (error.exceedsLimit) return { type: "request_too_large", message: error.message, status: error.status };
  return error;
}

function itemError(error: ProviderError): ItemError {
  return { type: error.type, message: error.message, ...(error.status ? { status: error.status } : {}) };
}

/**
 * The usage and cost of an item's answers, summed over its attempts: answers refused as invalid
 * were billed too. Usage is null until an answer came; the cost null once one model had no price.
 */
class BilledAnswers {
  usage: Usage | null = null;
  cost: number | null = 0;

  add(usage: Usage, cost: number | null): void {
    const sum = this.usage;
    this.usage = sum
      ? {
          input_tokens: sum.input_tokens + usage.input_tokens,
          output_tokens: sum.output_tokens + usage.output_tokens,
          ...(sum.cached_tokens !== undefined || usage.cached_tokens !== undefined
            ? { cached_tokens: (sum.cached_tokens ?? 0) + (usage.cached_tokens ?? 0) }
            : {}),
        }
      : usage;
    this.cost = this.cost === null || cost === null ? null : this.cost + cost;
  }
}

/** A permanent failure as the item's result; only answers refused as invalid were billed for it. */
function failure(
  item: Item,
  model: string,
  counts: { attempts: number; rateLimitedRetries: number },
  ended: Ended,
  billed: BilledAnswers,
): ItemResult {
  return {
    id: item.id,
    status: "error",
    output: null,
    model,
    usage: billed.usage,
    cost_usd: billed.usage === null ? 0 : billed.cost,
    latency_ms: ended.latency,
    attempts: counts.attempts,
    ...(counts.rateLimitedRetries > 0 ? { rate_limited_retries: counts.rateLimitedRetries } : {}),
    finish_reason: null,
    error: ended.error,
    ...(ended.key ? { key: ended.key } : {}),
    ...(ended.requestId ? { request_id: ended.requestId } : {}),
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
    const { request } = item;
    const asked = {
      model: model.model,
      messages: request.messages,
      params: request.params,
      ...(request.sample !== undefined ? { sample: request.sample } : {}),
    };
    const context = {
      key: lease.credential.key,
      baseUrl: lease.credential.baseUrl,
      signal: attempt.signal,
      stream: options.stream,
    };
    if (request.kind !== "embedding") return await provider.complete(asked, context);
    if (!provider.embed) {
      return new ProviderError(`${provider.name} has no embeddings API`, { type: "bad_request" });
    }
    return await provider.embed(asked, context);
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
    const endpoint = thrown instanceof ProviderError ? thrown.endpoint : undefined;
    const from = endpoint === undefined ? "" : ` from ${endpoint}`;
    return new ProviderError(
      `no answer${from} within ${((timeoutMs ?? 0) / 1000).toFixed(1)} s (--timeout)`,
      {
        type: "timeout",
        endpoint,
      },
    );
  }
  if (thrown instanceof ProviderError) return thrown;
  if (signal.aborted) return new ProviderError("cancelled", { type: "cancelled" });
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ProviderError(`unexpected failure: ${message}`, { type: "server", cause: thrown });
}
