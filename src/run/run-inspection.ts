import type { Writable } from "node:stream";
import { UsageError } from "../core/errors.js";
import { formatCount } from "../core/format/number.js";
import { alignedTable } from "../core/format/table.js";
import { formatDuration } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import type { ResultEntry } from "../core/types.js";
import {
  isResultFormat,
  RESULT_FORMATS,
  type ResultRecords,
  resultRecords,
} from "../output/result-records.js";
import { type StreamedLine, StreamedLines } from "../output/streamed-lines.js";
import { checkResultsPath, writeResults } from "../output/write-results.js";
import type { RunRecord } from "../store/run-record.js";
import type { RunOwner, StateStore } from "../store/state-store.js";
import { requireRun, withStore } from "../store/stored-run.js";
import { batchProgress, batchProgressLine } from "./batch-inspection.js";
import { measurePace, PACE_WINDOW_MS } from "./run-pace.js";
import { schemaColumns } from "./schema-columns.js";

/** How `runs` and `status` print: aligned text, or JSON with the fields README "Resume" lists. */
export type InspectionFormat = "text" | "json";

/** `finished`; `running` while a live process sends it; `unfinished` otherwise (rerun to resume). */
type RunState = "finished" | "running" | "unfinished";

function runState(store: StateStore, run: RunRecord, viewer: RunOwner): RunState {
  if (run.status === "finished") return "finished";
  return store.holder(run.id, viewer)?.alive ? "running" : "unfinished";
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const inputName = (run: RunRecord) => (run.inputPath === "-" ? "<stdin>" : run.inputPath);
const modelName = (run: RunRecord) => String(run.options.model ?? "(per row)");

/** `metasync runs`: one line a run, newest first; `viewer` is this process, to tell live holders. */
export function listRuns(path: string, viewer: RunOwner, format: InspectionFormat = "text"): Promise<string> {
  return withStore(path, (store) => {
    const runs = store
      .listRuns()
      .map((run) => ({ run, state: runState(store, run, viewer), items: store.counts(run.id) }));
    if (format === "json") {
      const list = runs.map(({ run, state, items }) => ({
        run_id: run.id,
        name: run.name,
        status: state,
        items,
        model: run.options.model ?? null,
        input: inputName(run),
        created_at: iso(run.createdAt),
        updated_at: iso(run.updatedAt),
      }));
      return `${JSON.stringify(list, null, 2)}\n`;
    }
    if (runs.length === 0) return "no runs yet\n";
    const rows = runs.map(({ run, state, items }) => [
      run.id,
      state,
      `${items.ok + items.failed}/${items.total}`,
      String(items.failed),
      modelName(run),
      new Date(run.createdAt).toISOString().replace("T", " ").slice(0, 19),
      inputName(run),
    ]);
    return `${alignedTable([["RUN", "STATUS", "DONE", "FAILED", "MODEL", "CREATED", "INPUT"], ...rows]).join("\n")}\n`;
  });
}

/**
 * `metasync status <run>`: progress and totals; for a run a process is sending, which process (host,
 * pid, heartbeat), its rate over the last minutes and the ETA at that rate.
 */
export function runStatus(
  path: string,
  ref: string,
  viewer: RunOwner,
  format: InspectionFormat = "text",
): Promise<string> {
  return withStore(path, (store) => {
    const run = requireRun(store, ref);
    const now = viewer.now();
    const items = store.counts(run.id);
    const holder = run.status === "finished" ? undefined : store.holder(run.id, viewer);
    const state: RunState = run.status === "finished" ? "finished" : holder?.alive ? "running" : "unfinished";
    const pace =
      state === "running"
        ? measurePace(store.finishTimes(run.id, now - PACE_WINDOW_MS, 10_000), items.pending, now)
        : undefined;
    const errors = store.errorsByType(run.id);
    const costUsd = store.spentUsd(run.id);
    const batches = batchProgress(store, run.id);
    if (format === "json") {
      return `${JSON.stringify(
        {
          run_id: run.id,
          name: run.name,
          status: state,
          input: inputName(run),
          model: run.options.model ?? null,
          items,
          cost_usd: costUsd,
          errors,
          created_at: iso(run.createdAt),
          updated_at: iso(run.updatedAt),
          process: holder?.alive
            ? { host: holder.host, pid: holder.pid, heartbeat_at: iso(holder.heartbeat) }
            : null,
          rate: pace
            ? {
                items_per_min: pace.itemsPerMin === null ? null : Math.round(pace.itemsPerMin * 10) / 10,
                window_s: Math.round(pace.windowMs / 100) / 10,
                results: pace.results,
                last_result_at: iso(pace.lastAt),
              }
            : null,
          eta_s: pace?.etaMs == null ? null : Math.round(pace.etaMs / 1000),
          eta_at: pace?.etaMs == null ? null : iso(now + pace.etaMs),
          ...(batches ? { batches } : {}),
        },
        null,
        2,
      )}\n`;
    }
    const lines = [
      `run       ${run.id}${run.name ? ` (${run.name})` : ""}`,
      `status    ${state}`,
      `input     ${inputName(run)}`,
      `model     ${modelName(run)}`,
      `items     ${items.total} total · ${items.ok} ok · ${items.failed} failed · ${items.pending} pending`,
      `cost      ${formatUsd(costUsd)}`,
      `created   ${new Date(run.createdAt).toISOString()}`,
      `updated   ${new Date(run.updatedAt).toISOString()}`,
    ];
    if (holder?.alive) {
      const beat =
        holder.heartbeat === null ? "" : ` (heartbeat ${formatDuration(now - holder.heartbeat)} ago)`;
      lines.push(`process   pid ${holder.pid} on ${holder.host}${beat}`);
    } else if (holder) {
      lines.push(
        `process   none: pid ${holder.pid} on ${holder.host} stopped before finishing; rerun the same command to resume`,
      );
    } else if (state === "unfinished") {
      lines.push("process   none; rerun the same command to resume");
    }
    if (batches) lines.push(batchProgressLine(batches));
    if (pace) lines.push(...paceLines(pace, now));
    if (errors.length > 0) lines.push(`errors    ${errors.map((e) => `${e.type} ${e.count}`).join(" · ")}`);
    return `${lines.join("\n")}\n`;
  });
}

function paceLines(pace: ReturnType<typeof measurePace>, now: number): string[] {
  if (pace.itemsPerMin === null) {
    return [
      `rate      measuring (${formatCount(pace.results, "result")} in the last ${formatDuration(PACE_WINDOW_MS)})`,
    ];
  }
  const lines = [
    `rate      ${formatCount(pace.itemsPerMin)} items/min over the last ${formatDuration(pace.windowMs)} ` +
      "(waits for budgets and cool-downs included)",
  ];
  if (pace.etaMs !== null) {
    lines.push(`eta       ${formatDuration(pace.etaMs)} (about ${new Date(now + pace.etaMs).toISOString()})`);
  }
  // A pause several times the usual gap between results: a cool-down or a spent budget.
  const quietMs = pace.lastAt === null ? 0 : now - pace.lastAt;
  if (quietMs >= 10_000 && quietMs > (5 * 60_000) / pace.itemsPerMin) {
    lines.push(
      `waiting   no result for ${formatDuration(quietMs)} (a cool-down, the budget, or slow answers)`,
    );
  }
  return lines;
}

export interface ExportOptions {
  /** The results file, or undefined for `stdout`. */
  out: string | undefined;
  stdout: Writable;
  /** metasync (default), openai-batch or csv; a file's extension decides between JSONL and CSV. */
  format?: string | undefined;
  /** Only the items that failed (`--failed`). */
  failedOnly?: boolean | undefined;
}

/** `metasync export <run> -o file` (or `-o -` for stdout), in input order. */
export async function exportRun(path: string, ref: string, options: ExportOptions): Promise<string> {
  const format = options.format ?? "metasync";
  if (!isResultFormat(format)) {
    throw new UsageError(`--format must be one of ${RESULT_FORMATS.join(", ")}, got "${format}"`);
  }
  const { out } = options;
  if (out !== undefined) checkResultsPath(out, format);
  return withStore(path, async (store) => {
    const run = requireRun(store, ref);
    const all = store.entries(run.id);
    const entries = options.failedOnly ? failed(all) : all;
    const csvHeader = run.csvHeader ?? undefined;
    if (out !== undefined) {
      await writeResults(entries, { path: out, csvHeader, format, fields: schemaColumns(run.options) });
    } else {
      await printRecords(
        entries,
        resultRecords(format, { csvHeader, fields: schemaColumns(run.options) }),
        options.stdout,
      );
    }
    return "";
  });
}

function* failed(entries: Iterable<ResultEntry>): Generator<ResultEntry> {
  for (const entry of entries) if (entry.result?.status === "error") yield entry;
}

/** Prints records to a stream as it takes them, until done or until its reader goes away (`| head`). */
async function printRecords(
  entries: Iterable<ResultEntry>,
  records: ResultRecords,
  stream: Writable,
): Promise<void> {
  const printer = new StreamedLines(stream, () => {});
  let page: StreamedLine[] = records.header === "" ? [] : [{ index: -1, text: records.header }];
  for (const entry of entries) {
    const text = records.record(entry);
    if (text !== "") page.push({ index: 0, text });
    if (page.length < 1000) continue;
    if (!printer.write(page)) await printer.drained();
    page = [];
    if (printer.closed) break;
  }
  printer.write(page);
  await printer.settled();
}
