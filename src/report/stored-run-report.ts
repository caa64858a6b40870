import { extname } from "node:path";
import { UsageError } from "../core/errors.js";
import { loadPriceTable } from "../cost/price-table.js";
import { writeFileAtomically } from "../output/atomic-file.js";
import type { RunRecord } from "../store/run-record.js";
import type { StateStore } from "../store/state-store.js";
import { requireRun, withStore } from "../store/stored-run.js";
import { type ReportFormat, reportFormatOf } from "./report-format.js";
import { renderReportMarkdown } from "./report-markdown.js";
import { buildRunReport, type ReportMeta, type ReportOptions, type RunReport } from "./run-report.js";

/**
 * The report of a run in the state database. Its wall time runs from the run's creation to when it
 * finished (including any time it stood stopped between resumes); unknown for an unfinished run.
 */
export function storedRunReport(
  store: StateStore,
  run: RunRecord,
  options: ReportOptions = {},
  live: Pick<ReportMeta, "budget" | "keys"> = {},
): RunReport {
  const results = (function* () {
    for (const entry of store.entries(run.id)) yield entry.result;
  })();
  const wallMs = run.status === "finished" ? run.updatedAt - run.createdAt : null;
  return buildRunReport(results, { runId: run.id, wallMs, ...live }, options);
}

export function renderReport(report: RunReport, format: ReportFormat): string {
  return format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderReportMarkdown(report);
}

export interface ReportRequest {
  statePath: string;
  ref: string;
  format?: ReportFormat | undefined;
  out?: string | undefined;
  /** A `--prices` file, for items stored without a cost. */
  prices?: string | undefined;
}

/** `metasync report <run>`: the report's text for stdout, or "" once it is written to `out`. */
export async function reportCommand(request: ReportRequest): Promise<string> {
  const format = request.format ?? formatOf(request.out);
  const prices = loadPriceTable({ overrides: request.prices });
  const text = await withStore(request.statePath, (store) =>
    renderReport(storedRunReport(store, requireRun(store, request.ref), { prices }), format),
  );
  if (request.out === undefined) return text;
  await writeFileAtomically(request.out, (sink) => sink.write(text));
  return "";
}

/** The format a report file's extension asks for; Markdown without a file. */
function formatOf(out: string | undefined): ReportFormat {
  if (out === undefined) return "md";
  const format = reportFormatOf(out);
  if (format !== undefined) return format;
  throw new UsageError(
    `${out}: cannot tell the report format from "${extname(out).toLowerCase()}"; use .md or .json, or --format`,
  );
}
