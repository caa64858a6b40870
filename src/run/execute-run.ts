import { relative, resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { resolveModel } from "../../providers/model-ref.js";
import { type Clock, every, systemClock } from "../core/clock.js";
import { ExitCode, type MetasyncError, StoppedEarlyError, UsageError } from "../core/errors.js";
import type { EndReason, EventSink, RunCounts } from "../core/events.js";
import type { SessionSnapshot } from "../core/snapshot.js";
import { formatModelRef } from "../core/types.js";
import { loadPriceTable, type PriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import type { BatchOutcome } from "../engine/run-batch.js";
import { ContextWindowCheck } from "../input/context-window.js";
import { openInputSource } from "../input/input-source.js";
import { modelTypos } from "../input/model-typos.js";
import type { Env } from "../keys/load-keys.js";
import { OutputFileError, writeFileAtomically } from "../output/atomic-file.js";
import { checkDistinctOutputs, type NamedFile } from "../output/distinct-paths.js";
import { type ResultRecords, resultRecords } from "../output/result-records.js";
import { type StreamedLine, StreamedLines } from "../output/streamed-lines.js";
import { checkResultsPath, checkWritable, writeResults } from "../output/write-results.js";
import { reportFormatOf } from "../report/report-format.js";
import { renderReport, storedRunReport } from "../report/stored-run-report.js";
import type { BatchSpending } from "../session/sending-session.js";
import { SendingSession } from "../session/sending-session.js";
import type { ItemCounts, RunRecord } from "../store/run-record.js";
import { type RunOwner, StateStore } from "../store/state-store.js";
import { BatchKeys } from "./batch-keys.js";
import { sendViaProviderBatches } from "./provider-batches.js";
import { type RunChoice, resolveRun } from "./resolve-run.js";
import { rowRouter } from "./row-router.js";
import { givenBaseUrl, requestShaping } from "./run-identity.js";
import type { RunSettings } from "./run-settings.js";
import { schemaColumns } from "./schema-columns.js";
import { sessionSettings } from "./session-settings.js";
import { shareRun } from "./share-run.js";

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
  checkOutputs(settings, options.cwd);
  const prices = loadPriceTable({ overrides: settings.prices });
  const source = openInputSource(settings.input, {
    format: settings.format,
    encoding: settings.encoding,
    delimiter: settings.delimiter,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    cwd: options.cwd,
  });
  const routing = await rowRouter(settings.router);
  const store = StateStore.open(settings.statePath, () => clock.now());
  try {
    if (options.owner) dropAbandonedIngests(store, options.owner);
    const { run, state } = await resolveRun({
      store,
      source,
      shaping: requestShaping(settings, options.env),
      defaults: {
        model: settings.model,
        template: settings.template,
        system: settings.system,
        images: settings.images,
        cwd: settings.cwd,
        route: routing.route,
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
  const records = resultRecords(settings.outFormat, {
    csvHeader: run.csvHeader ?? undefined,
    csvFormulas: settings.csvFormulas,
    fields: schemaColumns(run.options),
  });
  const retried = settings.retryFailed ? store.retryFailed(run.id) : 0;
  const cached = settings.cache ? store.applyCache(run.id) : 0;
  emit({ type: "run", runId: run.id, state, cached, retried });

  const before = store.counts(run.id);
  for (const message of rerunNotes(settings, state, before, cached)) emit({ type: "warning", message });
  const inBatches = settings.via === "live" ? store.providerBatches(run.id).atProvider() : 0;
  if (inBatches > 0) {
    emit({
      type: "notice",
      message: `${inBatches} items were sent in provider batches: those that ended are collected first; items in batches still open wait for --via batch (or metasync cancel ${run.id})`,
    });
  }
  let session: SendingSession;
  try {
    session = await openSession(store, run, before.pending > 0, options, prices, clock, emit);
  } catch (error) {
    // Refused before anything was sent (no key, a bad key file): the run this command just created
    // is not kept. A resumed run keeps its results; the same command resumes it once fixed.
    if (state === "new") forget(store, run.id);
    throw error;
  }

  // Results on stdout are printed at least once: a line counts as printed once its write completed.
  const printer =
    settings.out === undefined
      ? new StreamedLines(options.stdout, (indexes) => store.markEmitted(run.id, indexes))
      : undefined;
  let outcome: BatchOutcome;
  let snapshot: SessionSnapshot;
  try {
    if (printer) {
      // A CSV's header comes first on every stdout; it belongs to no item (index -1 marks none printed).
      if (records.header !== "") printer.write([{ index: -1, text: records.header }]);
      await printEarlier(store, run.id, state, printer, records);
    }
    const ledger = store.ledger(run.id, {
      emitted: false,
      // A batch's results arrive by the thousand: committed a page at a time.
      ...(settings.via === "batch" ? { commitEveryResults: 10_000 } : {}),
      ...(printer
        ? {
            onCommitted: (batch) => {
              printer.write(batch.map((entry) => ({ index: entry.item.index, text: records.record(entry) })));
            },
          }
        : {}),
    });
    const spendingOf = (cap: BatchSpending | undefined) =>
      cap && { ...cap, spentUsd: () => store.spentUsd(run.id) };
    const viaBatches = (collectOnly: boolean) =>
      sendViaProviderBatches({
        book: store.providerBatches(run.id),
        ledger,
        session,
        keys: new BatchKeys(
          store.pendingProviders(run.id),
          settings.keySpecs ?? [],
          options.env,
          givenBaseUrl(settings),
        ),
        prices,
        settings: settings.batch,
        total: before.total,
        previouslyDone: before.ok + before.failed,
        signal: options.signal,
        clock,
        emit,
        collectOnly,
        spending: spendingOf(session.batchSpending()),
      });
    // Live after batch mode: batches that ended are collected first; what they did not finish is sent live.
    if (settings.via === "live" && inBatches > 0) await viaBatches(true);
    if (settings.via === "batch") outcome = await viaBatches(false);
    else {
      const shared =
        settings.share && session.coordinator && before.pending > 0
          ? await shareRun(session.coordinator, store, run.id, ledger, settings, {
              env: options.env,
              clock,
              emit,
              signal: options.signal,
              who: options.owner,
            })
          : undefined;
      outcome = await session.sendBatch({
        ledger: shared?.ledger ?? ledger,
        total: before.total,
        previouslyDone: before.ok + before.failed,
        signal: options.signal,
      });
      // Every item has its result: workers stop looking for the run's items, and its keys go.
      if (shared?.ledger.complete) await shared.queue.finish();
    }
  } finally {
    snapshot = session.snapshot();
    session.close();
    await printer?.settled();
  }
  const items = store.counts(run.id);
  if (items.pending === 0) store.setStatus(run.id, "finished");
  await writeOutputs(store, run, options, prices, snapshot);
  // Work still at a provider (or, in batch mode, waiting to be submitted to one): run again later.
  const atProvider =
    outcome.reason === "completed" &&
    items.pending > 0 &&
    (settings.via === "batch" || store.providerBatches(run.id).atProvider() === items.pending);
  return {
    runId: run.id,
    ...outcome,
    items,
    exitCode: atProvider ? ExitCode.pending : exitCodeOf(outcome.reason, items),
  };
}

/**
 * Prints to stdout what earlier processes of the run finished but no reader is known to have got
 * (their lines were never written, or the process died before it recorded them); everything, for a
 * finished run printed again. Each says `"cached": true`: it was answered before this process, which
 * sent nothing for it.
 */
async function printEarlier(
  store: StateStore,
  runId: string,
  state: RunChoice["state"],
  printer: StreamedLines,
  records: ResultRecords,
): Promise<void> {
  let page: StreamedLine[] = [];
  for (const { index, item, result } of store.entries(runId, { unemittedOnly: state !== "finished" })) {
    if (!result) continue;
    page.push({ index, text: records.record({ item, result: { ...result, cached: true } }) });
    if (page.length < 1000) continue;
    if (!printer.write(page)) await printer.drained();
    page = [];
    if (printer.closed) return;
  }
  printer.write(page);
}

/**
 * What a rerun should know before it starts: failed items that stay failed unless asked for, and a
 * `--fresh` run whose items the response cache answered (sent by no one now).
 */
function rerunNotes(
  settings: RunSettings,
  state: RunChoice["state"],
  counts: ItemCounts,
  cached: number,
): string[] {
  const notes: string[] = [];
  if (state !== "new" && counts.failed > 0) {
    notes.push(`${counts.failed} failed earlier; --retry-failed to send them again`);
  }
  if (settings.fresh && cached > 0) {
    notes.push(
      `--fresh started a new run, but ${cached} of its ${counts.total} items were answered from the response cache ` +
        "(identical requests answered before) and are not sent; add --no-cache to send every item",
    );
  }
  return notes;
}

/**
 * Writes the results file and the report from the database. Everything was sent and recorded by
 * now, so a file that cannot be written stops the run as resumable (exit 3), saying how to get the
 * results out of the database.
 */
async function writeOutputs(
  store: StateStore,
  run: RunRecord,
  options: ExecuteRunOptions,
  prices: PriceTable,
  snapshot: SessionSnapshot,
): Promise<void> {
  const { settings } = options;
  const failed: string[] = [];
  const state = stateFlag(settings.statePath, options.cwd, options.env);
  if (settings.out !== undefined) {
    const out = settings.out;
    await keepGoing(failed, `\`metasync export ${run.id}${state} -o <file>\` writes them`, () =>
      writeResults(store.entries(run.id), {
        path: out,
        csvHeader: run.csvHeader ?? undefined,
        format: settings.outFormat,
        csvFormulas: settings.csvFormulas,
        fields: schemaColumns(run.options),
      }),
    );
  }
  if (settings.report !== undefined) {
    const path = settings.report;
    await keepGoing(failed, `\`metasync report ${run.id}${state} -o <file>\` writes the report`, () => {
      const report = storedRunReport(
        store,
        store.findRun(run.id) ?? run,
        { prices },
        { budget: snapshot.scopes, keys: snapshot.keys },
      );
      const text = renderReport(report, reportFormatOf(path) ?? "md");
      return writeFileAtomically(path, (sink) => sink.write(text), { what: "the report" });
    });
  }
  if (failed.length > 0) {
    throw new StoppedEarlyError(failed.join("\n"));
  }
}

/** Runs one output's write; a file that cannot be written adds its message and what to do instead. */
async function keepGoing(failed: string[], instead: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!(error instanceof OutputFileError)) throw error;
    failed.push(`${error.message}\nthe results are safe in the state database; ${instead}`);
  }
}

/** `--state <path>` for a command to suggest, unless the state database is where it is by default. */
function stateFlag(path: string, cwd: string, env: Env): string {
  if (env.METASYNC_STATE === undefined && path === resolve(cwd, ".metasync", "state.db")) return "";
  const shown = relative(cwd, path).startsWith("..") ? path : relative(cwd, path);
  return ` --state ${/^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, "'\\''")}'`}`;
}

/**
 * Checks the outputs before anything is read or sent: each can be written where it is named (a
 * known extension, an existing writable directory, not a directory itself), and none is the same
 * file as another or as a file the run reads or keeps (the input, the state database …).
 */
function checkOutputs(settings: RunSettings, cwd: string): void {
  const outputs: NamedFile[] = [];
  if (settings.out !== undefined) {
    checkResultsPath(settings.out, settings.outFormat);
    outputs.push({ path: settings.out, label: "-o" });
  }
  if (settings.report !== undefined) {
    if (reportFormatOf(settings.report) === undefined) {
      throw new UsageError(`${settings.report}: the report must end in .json or .md`);
    }
    checkWritable(settings.report, "the report");
    outputs.push({ path: settings.report, label: "--report" });
  }
  if (outputs.length === 0) return;
  const kept: NamedFile[] = [
    ...(settings.input === "-" ? [] : [{ path: resolve(cwd, settings.input), label: "the input" }]),
    { path: settings.statePath, label: "the state database" },
    ...(settings.keysFile === undefined ? [] : [{ path: settings.keysFile, label: "the --keys file" }]),
    ...(settings.prices === undefined ? [] : [{ path: settings.prices, label: "the --prices file" }]),
    ...settings.reads,
  ];
  checkDistinctOutputs(outputs, kept);
}

/** Deletes a run refused before sending; if even that fails, the same command resumes it later. */
function forget(store: StateStore, runId: string): void {
  try {
    store.deleteRun(runId);
  } catch {
    // the refusal is what the user needs to hear
  }
}

/** Removes what crashed ingests left (see StateStore.dropAbandonedIngests); a failure only leaves it for later. */
function dropAbandonedIngests(store: StateStore, owner: RunOwner): void {
  try {
    store.dropAbandonedIngests(owner);
  } catch {
    // another process is busy with the database: the next run tries again
  }
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
  // A routed row may go to its rule's fallbacks: a key (and a price) for the fallbacks of every rule
  // whose model has rows pending (a rule no row took needs none).
  if (pending && settings.router) {
    const pendingNames = new Set(models.map(formatModelRef));
    for (const rule of settings.router.rules) {
      if (pendingNames.has(formatModelRef(rule.model))) models.push(...rule.fallbacks);
    }
  }
  for (const message of modelTypos([...models, ...(pending ? settings.fallbacks : [])], prices)) {
    emit({ type: "warning", message });
  }
  return SendingSession.open(
    sessionSettings(settings, {
      models,
      pending,
      prices,
      spentBeforeUsd: store.spentUsd(run.id),
      // A live call after batch mode: what open batches hold is in flight (batch mode reads it itself).
      reservedBeforeUsd: settings.via === "live" ? store.providerBatches(run.id).reservedUsd() : 0,
      env: options.env,
      clock,
      emit,
      fetch: options.fetch,
    }),
  );
}

function exitCodeOf(reason: EndReason, items: ItemCounts): number {
  if (reason === "interrupted") return ExitCode.interrupted;
  if (reason === "stopped" || items.pending > 0) return ExitCode.stoppedEarly;
  return items.failed > 0 ? ExitCode.itemsFailed : ExitCode.ok;
}
