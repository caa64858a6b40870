import { setMaxListeners } from "node:events";
import pLimit from "p-limit";
import { providerBaseUrl } from "../../providers/registry.js";
import { Coordinator } from "../coordinate/coordinator.js";
import type { CoordinatorAddress } from "../coordinate/coordinator-url.js";
import { DeadKeyBoard } from "../coordinate/dead-keys.js";
import { sharedLimiter } from "../coordinate/shared-limiter.js";
import { type Clock, every, systemClock } from "../core/clock.js";
import { InterruptedError, UsageError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { RunLedger } from "../core/ledger.js";
import type { LimiterFactory } from "../core/limiter.js";
import type { Provider } from "../core/provider.js";
import type { SessionSnapshot } from "../core/snapshot.js";
import {
  formatModelRef,
  type Item,
  type ItemRequest,
  type ItemResult,
  type ModelRef,
} from "../core/types.js";
import type { PriceTable } from "../cost/price-table.js";
import { promptTokenCounter } from "../cost/prompt-tokens.js";
import { roughPromptTokens } from "../cost/rough-prompt-tokens.js";
import { BreakerBoard } from "../engine/circuit-breaker.js";
import { ItemAbandoned, type ItemRunnerOptions, runItem } from "../engine/item-runner.js";
import { type BatchOutcome, runBatch } from "../engine/run-batch.js";
import { buildPoolKeys } from "../keys/key-plan.js";
import { KeyPool } from "../keys/key-pool.js";
import type { Strategy } from "../keys/key-strategy.js";
import { type Env, type KeySpec, loadKeyFile } from "../keys/load-keys.js";
import { checkAnswer } from "../schema/answer-check.js";
import { providerLoader } from "./provider-loader.js";
import { sessionCosts } from "./session-costs.js";
import { keyReports, scopeBudgets } from "./session-snapshot.js";

/** Everything a session needs to send: models, keys, limits, prices, cap, retries, and what is injected. */
/** `--max-cost` as batch mode keeps it (see `SendingSession.batchSpending`). */
export interface BatchSpending {
  capUsd: number;
  /** The most a request may cost sent in a provider batch. */
  worstCaseUsd: (item: Item) => number;
}

export interface SessionSettings {
  /** The models the session may send to (an item's own model, a judge, a proposer); fallbacks apart. */
  models: readonly ModelRef[];
  /** Models to route to, in order, when a request's own model keeps failing. */
  fallbacks?: readonly ModelRef[] | undefined;
  /** `--keys`: the key pool file; without it keys come from the environment. */
  keysFile?: string | undefined;
  /** The key pool file already read (`loadKeyFile`): used instead of reading `keysFile` again. */
  keySpecs?: readonly KeySpec[] | undefined;
  strategy: Strategy;
  /** `--tpm` / `--rpm`: each scope's limits where the pool file gives none. */
  tpm?: number | undefined;
  rpm?: number | undefined;
  /** `--base-url` and the provider it applies to (that of `--model`). */
  baseUrl?: { provider: string; url: string } | undefined;
  prices: PriceTable;
  /** `--max-cost`, and what was spent before this session (a resumed run). */
  maxCostUsd?: number | undefined;
  spentBeforeUsd?: number | undefined;
  /** What requests sent before this session still hold against the cap (a run's open provider batches). */
  reservedBeforeUsd?: number | undefined;
  maxAttempts: number;
  timeoutMs: number | undefined;
  stream: boolean;
  /** Most requests in flight at once (a batch's, or all `send`s together). */
  concurrency: number;
  env: Env;
  clock?: Clock | undefined;
  emit?: EventSink | undefined;
  /** The `fetch` providers send through (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Makes each limit scope's limiter (in-process by default; a coordinator's to share limits). */
  limiter?: LimiterFactory | undefined;
  /**
   * `--coordinator` (or METASYNC_COORDINATOR): Redis, through which the session shares its limit
   * scopes with every process given the same one; `timeoutMs` is how long it waits for Redis to
   * come back before it stops (exit 3).
   */
  coordinator?: { address: CoordinatorAddress; timeoutMs: number } | undefined;
  /** Estimate prompt tokens (4 characters a token) rather than load a tokenizer: provider batch mode. */
  roughPromptTokens?: boolean | undefined;
}

/** A batch to send: a ledger of items, and how many of them were done before. */
export interface BatchRequest {
  ledger: RunLedger;
  total: number;
  previouslyDone?: number;
  /** Aborting it stops admitting work; requests in flight get `graceMs` to finish. */
  signal?: AbortSignal | undefined;
  graceMs?: number;
}

/**
 * One engine for every command: providers, the key pool and its limit scopes, circuit breakers,
 * fallbacks, prices and the spending cap, built once from settings and shared by everything sent
 * through the session — batches of a ledger (`run`, an eval) and single requests awaited one by one
 * (a judge, a proposer). Learned limits, cooldowns, open circuits and spend carry over from one
 * batch to the next.
 */
export class SendingSession {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly providers: ReadonlySet<string>;
  private requests = 0;

  private constructor(
    private readonly settings: SessionSettings,
    private readonly pool: KeyPool,
    private readonly runner: Omit<ItemRunnerOptions, "emit" | "clock">,
    private readonly clock: Clock,
    private readonly emit: EventSink,
    /** The Redis connection limits are shared through (`--coordinator`), if any. */
    readonly coordinator: Coordinator | undefined,
    private readonly stopWatching: (() => void) | undefined,
  ) {
    this.limit = pLimit(Math.max(1, settings.concurrency));
    this.providers = new Set([...settings.models, ...(settings.fallbacks ?? [])].map((m) => m.provider));
  }

  /**
   * Checks and builds everything sending needs, before anything is sent: a key for every provider
   * (ConfigError, exit 2), a price for every model when there is a cap (UsageError, exit 2).
   */
  static async open(settings: SessionSettings): Promise<SendingSession> {
    const clock = settings.clock ?? systemClock;
    const emit = settings.emit ?? (() => {});
    const coordinator = settings.coordinator
      ? Coordinator.create(settings.coordinator.address, {
          timeoutMs: settings.coordinator.timeoutMs,
          clock,
          emit,
        })
      : undefined;
    try {
      return await SendingSession.build(settings, clock, emit, coordinator);
    } catch (error) {
      void coordinator?.close();
      throw error;
    }
  }

  private static async build(
    settings: SessionSettings,
    clock: Clock,
    emit: EventSink,
    coordinator: Coordinator | undefined,
  ): Promise<SendingSession> {
    const fallbacks = settings.fallbacks ?? [];
    const refs = uniqueModels([...settings.models, ...fallbacks]);
    const providerNames = [...new Set(refs.map((m) => m.provider))];
    const specs =
      settings.keySpecs ?? (settings.keysFile ? loadKeyFile(settings.keysFile, settings.env) : []);
    const keys = buildPoolKeys(providerNames, specs, settings.env, {
      defaults: {
        ...(settings.tpm !== undefined ? { tokens: settings.tpm } : {}),
        ...(settings.rpm !== undefined ? { requests: settings.rpm } : {}),
      },
      baseUrl: (provider) => providerBaseUrl(provider, settings.baseUrl, settings.env),
      limiter:
        settings.limiter ??
        (coordinator ? sharedLimiter(coordinator, settings.timeoutMs ?? 600_000, emit) : undefined),
    });
    const board = coordinator ? new DeadKeyBoard(coordinator) : undefined;
    // A key this process finds dead is published for every process on the coordinator.
    const poolEmit: EventSink = board
      ? (event) => {
          emit(event);
          if (event.type === "key_disabled" && !event.reason.endsWith("(found by another process)")) {
            board.publish(event.provider, event.key, event.reason).catch(() => {});
          }
        }
      : emit;
    const pool = new KeyPool(keys, settings.strategy, clock, poolEmit);
    const costs = sessionCosts(
      settings.prices,
      refs.map(formatModelRef),
      settings.maxCostUsd,
      settings.spentBeforeUsd ?? 0,
      settings.reservedBeforeUsd ?? 0,
      emit,
    );
    const provider = providerLoader({
      random: clock.random,
      sleep: clock.sleep,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
    // The first requests need their providers' SDKs; the tokenizer can wait until they are in. A
    // provider that fails to load fails its items when they are sent, not here.
    const sdks = Promise.all(providerNames.map((name) => provider(name))).catch(() => {});
    const promptTokens = settings.roughPromptTokens
      ? (item: Item) => roughPromptTokens(item.request)
      : await promptTokenCounter(refs, {
          exact: settings.maxCostUsd !== undefined,
          loadAfter: sdks,
          onLoadError: (error) =>
            emit({
              type: "warning",
              message: `the tokenizer did not load (${error instanceof Error ? error.message : String(error)}); prompt tokens are estimated at 4 characters a token`,
            }),
        });
    // Checked first (a missing key, a missing price are exit 2); only then wait for Redis.
    await coordinator?.connected();
    const stopWatching = board ? await watchDeadKeys(board, pool, clock) : undefined;
    const runner = {
      provider,
      keys: pool,
      breakers: new BreakerBoard(),
      fallbacks,
      promptTokens,
      maxAttempts: settings.maxAttempts,
      timeoutMs: settings.timeoutMs,
      stream: settings.stream,
      checkAnswer,
      ...costs,
    };
    return new SendingSession(settings, pool, runner, clock, emit, coordinator, stopWatching);
  }

  /** Sends every pending item of a ledger, at most `concurrency` at once, recording each result in it. */
  sendBatch(batch: BatchRequest): Promise<BatchOutcome> {
    return runBatch(
      {
        ledger: batch.ledger,
        total: batch.total,
        previouslyDone: batch.previouslyDone ?? 0,
        runner: this.runner,
        concurrency: this.settings.concurrency,
        signal: batch.signal,
        ...(batch.graceMs !== undefined ? { graceMs: batch.graceMs } : {}),
        clock: this.clock,
      },
      this.emit,
    );
  }

  /**
   * Sends one request through the same keys, limits, retries, fallbacks and cap, and resolves with
   * its result (a failure is a result with `status: "error"`). Rejects with `StoppedEarlyError` when
   * it cannot be sent at all (the cap, no usable key) and `InterruptedError` when `signal` aborts.
   */
  async send(request: ItemRequest, options: { signal?: AbortSignal; id?: string } = {}): Promise<ItemResult> {
    if (!this.providers.has(request.model.provider)) {
      throw new UsageError(
        `${formatModelRef(request.model)}: this session was opened for ${[...this.providers].join(", ") || "no provider"}`,
      );
    }
    const signal = options.signal ?? new AbortController().signal;
    setMaxListeners(0, signal);
    const item = { index: this.requests, id: options.id ?? `request-${this.requests + 1}`, line: 0, request };
    this.requests++;
    return this.limit(async () => {
      try {
        const { result } = await runItem(
          item,
          { halt: signal, abandon: signal },
          { ...this.runner, clock: this.clock, emit: this.emit },
        );
        return result;
      } catch (error) {
        if (error instanceof ItemAbandoned) throw new InterruptedError();
        throw error;
      }
    });
  }

  /**
   * `--max-cost` for requests sent through providers' batch APIs (`--via batch`), or undefined
   * without a cap: the cap, and a request's worst case at the batch price, its prompt tokens counted
   * as the live cap counts them. The caller keeps the account (what is spent, what open batches hold).
   */
  batchSpending(): BatchSpending | undefined {
    const { spending, promptTokens } = this.runner;
    if (!spending) return undefined;
    return {
      capUsd: spending.cap.capUsd,
      worstCaseUsd: (item) =>
        spending.worstCase(
          formatModelRef(item.request.model),
          promptTokens(item),
          item.request.params.max_tokens,
          { batch: true },
        ),
    };
  }

  /** A provider of the session, loaded once: batch mode (`--via batch`) drives its `batch` capability. */
  provider(name: string): Promise<Provider> {
    return this.runner.provider(name);
  }

  /** Key health, scope budgets and spend so far. */
  snapshot(): SessionSnapshot {
    return {
      keys: keyReports(this.pool),
      scopes: scopeBudgets(this.pool),
      spentUsd: this.runner.spending?.cap.spentUsd ?? null,
    };
  }

  /** Stops the pool's timers and closes the coordinator's connection; nothing more can be sent. */
  close(): void {
    this.stopWatching?.();
    this.pool.close();
    void this.coordinator?.close();
  }
}

/** How often a session on a coordinator looks for keys other processes found dead. */
const DEAD_KEYS_EVERY_MS = 5_000;

/** Takes out of the pool the keys found dead elsewhere, now and every few seconds; returns the stop. */
async function watchDeadKeys(board: DeadKeyBoard, pool: KeyPool, clock: Clock): Promise<() => void> {
  const apply = (dead: Map<string, string>) => {
    for (const [name, reason] of dead) {
      const at = name.lastIndexOf(":");
      pool.disableFoundElsewhere(name.slice(0, at), name.slice(at + 1), reason);
    }
  };
  apply(await board.read());
  return every(clock, DEAD_KEYS_EVERY_MS, () => {
    board.read().then(apply, () => {});
  });
}

function uniqueModels(refs: readonly ModelRef[]): ModelRef[] {
  const seen = new Map(refs.map((ref) => [formatModelRef(ref), ref]));
  return [...seen.values()];
}
