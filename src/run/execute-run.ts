import type { Readable, Writable } from "node:stream";
import { resolveModel } from "../../providers/model-ref.js";
import { providerInfo } from "../../providers/registry.js";
import { type Clock, systemClock } from "../core/clock.js";
import { ExitCode, type MetasyncError } from "../core/errors.js";
import type { EndReason, EventSink, RunCounts } from "../core/events.js";
import type { Provider } from "../core/provider.js";
import type { ModelRef } from "../core/types.js";
import { loadPriceTable, type PriceTable } from "../cost/price-table.js";
import { promptTokenCounter } from "../cost/prompt-tokens.js";
import { BreakerBoard } from "../engine/circuit-breaker.js";
import { type BatchOutcome, runBatch } from "../engine/run-batch.js";
import { openInputSource } from "../input/input-source.js";
import { KeyPool } from "../keys/key-pool.js";
import { buildPoolKeys, type Env, loadKeyFile } from "../keys/load-keys.js";
import { writeFileAtomically } from "../output/atomic-file.js";
import { checkResultsPath, lineFormatter, writeResults } from "../output/write-results.js";
import type { KeyReport, ScopeBudget } from "../report/run-report.js";
import { renderReport, storedRunReport } from "../report/stored-run-report.js";
import type { ItemCounts, RunRecord } from "../store/run-record.js";
import { type RunOwner, StateStore } from "../store/state-store.js";
import { type RunChoice, resolveRun } from "./resolve-run.js";
import { runCosts } from "./run-costs.js";
import { requestShaping } from "./run-identity.js";
import type { RunSettings } from "./run-settings.js";

export interface ExecuteRunOptions {
  settings: RunSettings;
  env: Env;
  cwd: string;
  /** Where `-` reads from. */
  stdin?: Readable | undefined;
  /** Where results stream as JSONL when there is no results file. */
  stdout: Writable;
  signal?: AbortSignal | undefined;
  emit?: EventSink;
  clock?: Clock;
  /** This process, to claim the run so that two processes never send it at once. */
  owner?: RunOwner;
}

export interface RunOutcome {
  runId: string;
  reason: EndReason;
  /** Why the run stopped early (exit 3): the spending cap, or no usable key left. */
  stopError?: MetasyncError;
  counts: RunCounts;
  items: ItemCounts;
  wallMs: number;
  exitCode: number;
}

/**
 * A whole `run`: reads and checks the input into the state database (nothing is sent if any row is
 * bad), resumes or starts the run, sends what is pending, and writes the results and the report
 * from the database.
 */
export async function executeRun(options: ExecuteRunOptions): Promise<RunOutcome> {
  const { settings } = options;
  const emit = options.emit ?? (() => {});
  const clock = options.clock ?? systemClock;
  if (settings.out !== undefined) checkResultsPath(settings.out, settings.outFormat);
  const prices = loadPriceTable({ overrides: settings.prices });
  const source = openInputSource(settings.input, {
    ...(settings.format !== undefined ? { format: settings.format } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });
  const store = StateStore.open(settings.statePath);
  try {
    const { run, state } = await resolveRun({
      store,
      source,
      shaping: requestShaping(settings),
      defaults: {
        model: settings.model,
        template: settings.template,
        system: settings.system,
        params: settings.params,
      },
      name: settings.runName,
      fresh: settings.fresh,
      cwd: options.cwd,
    });
    if (options.owner) store.claimRun(run.id, options.owner);
    const heartbeat = options.owner
      ? setInterval(() => {
          try {
            store.heartbeat(run.id, clock.now());
          } catch {
            // A missed heartbeat only matters to a process on another host; the next one may land.
          }
        }, HEARTBEAT_MS).unref()
      : undefined;
    try {
      return await sendAndWrite(store, run, state, options, prices, clock, emit);
    } finally {
      clearInterval(heartbeat);
      if (options.owner) store.releaseRun(run.id);
    }
  } finally {
    store.close();
  }
}

const HEARTBEAT_MS = 10_000;

async function sendAndWrite(
  store: StateStore,
  run: RunRecord,
  state: RunChoice["state"],
  options: ExecuteRunOptions,
  prices: PriceTable,
  clock: Clock,
  emit: EventSink,
): Promise<RunOutcome> {
  const { settings } = options;
  const line = lineFormatter(settings.outFormat);
  const retried = settings.retryFailed ? store.retryFailed(run.id) : 0;
  const cached = settings.cache ? store.applyCache(run.id) : 0;
  emit({ type: "run", runId: run.id, state, cached, retried });

  const toStdout = settings.out === undefined;
  if (toStdout) {
    // A finished run prints everything again; a resumed one only what no earlier process printed.
    const printed: number[] = [];
    for (const { index, result } of store.entries(run.id, { unemittedOnly: state !== "finished" })) {
      if (!result) continue;
      options.stdout.write(line(result));
      printed.push(index);
    }
    store.markEmitted(run.id, printed);
  }

  const before = store.counts(run.id);
  const providers = providerLoader();
  const sending =
    before.pending > 0
      ? await prepareSending(store, run, settings, options.env, prices, clock, emit, providers)
      : undefined;
  const pool = sending?.pool ?? new KeyPool([], settings.strategy, clock, emit);
  const ledger = store.ledger(run.id, {
    emitted: toStdout,
    ...(toStdout
      ? {
          onCommitted: (batch) => {
            for (const { result } of batch) options.stdout.write(line(result));
          },
        }
      : {}),
  });
  let outcome: BatchOutcome;
  try {
    outcome = await runBatch(
      {
        ledger,
        total: before.total,
        previouslyDone: before.ok + before.failed,
        runner: {
          provider: providers,
          pool,
          breakers: new BreakerBoard(),
          fallbacks: settings.fallbacks,
          promptTokens: sending?.promptTokens ?? (() => 0),
          maxAttempts: settings.maxAttempts,
          timeoutMs: settings.timeoutMs,
          stream: settings.stream,
          ...(sending?.costs ?? { costOf: () => null }),
        },
        concurrency: settings.concurrency,
        signal: options.signal,
        clock,
      },
      emit,
    );
  } finally {
    pool.close();
  }
  const items = store.counts(run.id);
  if (items.pending === 0) store.setStatus(run.id, "finished");
  if (settings.out !== undefined) {
    await writeResults(store.entries(run.id), {
      path: settings.out,
      csvHeader: run.csvHeader ?? undefined,
      lineFormat: settings.outFormat,
    });
  }
  if (settings.report !== undefined) {
    const report = storedRunReport(
      store,
      store.findRun(run.id) ?? run,
      { prices },
      { budget: scopeBudgets(pool), keys: keyReports(pool) },
    );
    const text = renderReport(report, settings.report.toLowerCase().endsWith(".json") ? "json" : "md");
    await writeFileAtomically(settings.report, (sink) => sink.write(text));
  }
  return { runId: run.id, ...outcome, items, exitCode: exitCodeOf(outcome.reason, items) };
}

/** What sending needs, checked before anything is sent: keys, prices and the cap, the token counter. */
async function prepareSending(
  store: StateStore,
  run: RunRecord,
  settings: RunSettings,
  env: Env,
  prices: PriceTable,
  clock: Clock,
  emit: EventSink,
  providers: (name: string) => Promise<Provider>,
) {
  const models = [
    ...store.pendingModels(run.id),
    ...settings.fallbacks.map((m) => `${m.provider}:${m.model}`),
  ];
  const refs = models.flatMap((model) => {
    const resolved = resolveModel(model);
    return resolved.ok ? [resolved.ref] : [];
  });
  const providerNames = [...new Set(refs.map((m) => m.provider))];
  const pool = buildKeyPool(providerNames, settings, env, clock, emit);
  const costs = runCosts(prices, [...new Set(models)], settings.maxCostUsd, store.spentUsd(run.id), emit);
  // The first requests need their providers' SDKs; the tokenizer can wait until they are in. A
  // provider that fails to load fails its items when they are sent, not here.
  const sdks = Promise.all(providerNames.map((name) => providers(name))).catch(() => {});
  const promptTokens = await promptTokenCounter(uniqueModels(refs), {
    exact: settings.maxCostUsd !== undefined,
    loadAfter: sdks,
    onLoadError: (error) =>
      emit({
        type: "warning",
        message: `the tokenizer did not load (${error instanceof Error ? error.message : String(error)}); prompt tokens are estimated at 4 characters a token`,
      }),
  });
  return { pool, costs, promptTokens };
}

function uniqueModels(refs: readonly ModelRef[]): ModelRef[] {
  const seen = new Map(refs.map((ref) => [`${ref.provider}:${ref.model}`, ref]));
  return [...seen.values()];
}

/** Each scope's limits and what this process sent through it, for the report. */
function scopeBudgets(pool: KeyPool): ScopeBudget[] {
  const scopes = new Set(pool.keys.map((key) => key.scope));
  return [...scopes].map((scope) => {
    const limits = scope.limits();
    return {
      scope: scope.name,
      rpm: limits.requests ?? null,
      tpm: limits.tokens ?? null,
      requests: scope.sent.requests,
      tokens: scope.sent.tokens,
    };
  });
}

/** Each key's health, by fingerprint, for the report. */
function keyReports(pool: KeyPool): Record<string, KeyReport> {
  return Object.fromEntries(
    pool.keys.map(({ fingerprint, provider, scope, health }) => [
      fingerprint,
      {
        provider,
        scope: scope.name,
        state: health.state,
        reason: health.reason ?? null,
        requests: health.requests,
        successes: health.successes,
        success_rate:
          health.requests > 0 ? Math.round((health.successes / health.requests) * 10_000) / 10_000 : null,
        consecutive_failures: health.consecutiveFailures,
        latency_ema_ms: health.latencyEmaMs === undefined ? null : Math.round(health.latencyEmaMs),
      },
    ]),
  );
}

function exitCodeOf(reason: EndReason, items: ItemCounts): number {
  if (reason === "interrupted") return ExitCode.interrupted;
  if (reason === "stopped" || items.pending > 0) return ExitCode.stoppedEarly;
  return items.failed > 0 ? ExitCode.itemsFailed : ExitCode.ok;
}

/** The run's key pool: keys from --keys or the environment for every provider it may send to. */
function buildKeyPool(
  providers: string[],
  settings: RunSettings,
  env: Env,
  clock: Clock,
  emit: EventSink,
): KeyPool {
  const specs = settings.keysFile ? loadKeyFile(settings.keysFile, env) : [];
  const keys = buildPoolKeys(providers, specs, env, {
    defaults: {
      ...(settings.tpm !== undefined ? { tokens: settings.tpm } : {}),
      ...(settings.rpm !== undefined ? { requests: settings.rpm } : {}),
    },
    baseUrl: (provider) => {
      if (settings.baseUrl !== undefined && settings.model?.provider === provider) return settings.baseUrl;
      const variable = providerInfo(provider)?.baseUrlEnv;
      return variable ? env[variable] : undefined;
    },
  });
  return new KeyPool(keys, settings.strategy, clock, emit);
}

/** Loads each provider's module once, when its first item is sent. */
function providerLoader(): (name: string) => Promise<Provider> {
  const loaded = new Map<string, Promise<Provider>>();
  return (name) => {
    let provider = loaded.get(name);
    if (!provider) {
      const info = providerInfo(name);
      if (!info) return Promise.reject(new Error(`provider ${name} is not registered`));
      provider = info.load().then((module) => module.createProvider({}));
      loaded.set(name, provider);
    }
    return provider;
  };
}
