import type { Readable, Writable } from "node:stream";
import { resolveModel } from "../../providers/model-ref.js";
import { type Clock, every, systemClock } from "../core/clock.js";
import { ExitCode, type MetasyncError } from "../core/errors.js";
import type { EndReason, EventSink, RunCounts } from "../core/events.js";
import type { SessionSnapshot } from "../core/snapshot.js";
import { loadPriceTable, type PriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import type { BatchOutcome } from "../engine/run-batch.js";
import { ContextWindowCheck } from "../input/context-window.js";
import { openInputSource } from "../input/input-source.js";
import { modelTypos } from "../input/model-typos.js";
import type { Env } from "../keys/load-keys.js";
import { writeFileAtomically } from "../output/atomic-file.js";
import { checkResultsPath, lineFormatter, writeResults } from "../output/write-results.js";
import { renderReport, storedRunReport } from "../report/stored-run-report.js";
import { SendingSession } from "../session/sending-session.js";
import type { ItemCounts, RunRecord } from "../store/run-record.js";
import { type RunOwner, StateStore } from "../store/state-store.js";
import { type RunChoice, resolveRun } from "./resolve-run.js";
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
  /** The `fetch` providers send through (tests, proxies). */
  fetch?: typeof fetch;
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
    format: settings.format,
    encoding: settings.encoding,
    delimiter: settings.delimiter,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    cwd: options.cwd,
  });
  const store = StateStore.open(settings.statePath);
  try {
    const { run, state } = await resolveRun({
      store,
      source,
      shaping: requestShaping(settings, options.env),
      defaults: {
        model: settings.model,
        template: settings.template,
        system: settings.system,
        params: settings.params,
        checkRequest: new ContextWindowCheck({
          window: (model) => prices.contextWindow(model),
          counter: () => TokenCounter.load([]),
        }).check,
      },
      name: settings.runName,
      fresh: settings.fresh,
      cwd: options.cwd,
      owner: options.owner,
    });
    const stopHeartbeat = options.owner
      ? every(clock, HEARTBEAT_MS, () => {
          try {
            store.heartbeat(run.id, clock.now());
          } catch {
            // A missed heartbeat only matters to a process on another host; the next one may land.
          }
        })
      : undefined;
    try {
      return await sendAndWrite(store, run, state, options, prices, clock, emit);
    } finally {
      stopHeartbeat?.();
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
  const session = await openSession(store, run, before.pending > 0, options, prices, clock, emit);
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
  let snapshot: SessionSnapshot;
  try {
    outcome = await session.sendBatch({
      ledger,
      total: before.total,
      previouslyDone: before.ok + before.failed,
      signal: options.signal,
    });
  } finally {
    snapshot = session.snapshot();
    session.close();
  }
  const items = store.counts(run.id);
  if (items.pending === 0) store.setStatus(run.id, "finished");
  if (settings.out !== undefined) {
    await writeResults(store.entries(run.id), {
      path: settings.out,
      csvHeader: run.csvHeader ?? undefined,
      lineFormat: settings.outFormat,
      csvFormulas: settings.csvFormulas,
    });
  }
  if (settings.report !== undefined) {
    const report = storedRunReport(
      store,
      store.findRun(run.id) ?? run,
      { prices },
      { budget: snapshot.scopes, keys: snapshot.keys },
    );
    const text = renderReport(report, settings.report.toLowerCase().endsWith(".json") ? "json" : "md");
    await writeFileAtomically(settings.report, (sink) => sink.write(text));
  }
  return { runId: run.id, ...outcome, items, exitCode: exitCodeOf(outcome.reason, items) };
}

/**
 * The run's sending session, checked before anything is sent: a key for every provider its pending
 * items and fallbacks use, a price for every model when there is a cap. A run with nothing pending
 * sends nothing and needs neither.
 */
function openSession(
  store: StateStore,
  run: RunRecord,
  pending: boolean,
  options: ExecuteRunOptions,
  prices: PriceTable,
  clock: Clock,
  emit: EventSink,
): Promise<SendingSession> {
  const { settings } = options;
  const models = pending
    ? store.pendingModels(run.id).flatMap((model) => {
        const resolved = resolveModel(model);
        return resolved.ok ? [resolved.ref] : [];
      })
    : [];
  for (const message of modelTypos([...models, ...(pending ? settings.fallbacks : [])], prices)) {
    emit({ type: "warning", message });
  }
  return SendingSession.open({
    models,
    fallbacks: pending ? settings.fallbacks : [],
    keysFile: pending ? settings.keysFile : undefined,
    keySpecs: pending ? settings.keySpecs : undefined,
    strategy: settings.strategy,
    tpm: settings.tpm,
    rpm: settings.rpm,
    baseUrl:
      settings.baseUrl !== undefined && settings.model
        ? { provider: settings.model.provider, url: settings.baseUrl }
        : undefined,
    prices,
    maxCostUsd: settings.maxCostUsd,
    spentBeforeUsd: store.spentUsd(run.id),
    maxAttempts: settings.maxAttempts,
    timeoutMs: settings.timeoutMs,
    stream: settings.stream,
    concurrency: settings.concurrency,
    env: options.env,
    clock,
    emit,
    fetch: options.fetch,
  });
}

function exitCodeOf(reason: EndReason, items: ItemCounts): number {
  if (reason === "interrupted") return ExitCode.interrupted;
  if (reason === "stopped" || items.pending > 0) return ExitCode.stoppedEarly;
  return items.failed > 0 ? ExitCode.itemsFailed : ExitCode.ok;
}
