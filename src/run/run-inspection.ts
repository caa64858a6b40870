import { UsageError } from "../core/errors.js";
import { alignedTable } from "../core/format/table.js";
import { checkResultsPath, isLineFormat, LINE_FORMATS, writeResults } from "../output/write-results.js";
import { requireRun, withStore } from "../store/stored-run.js";

/** `metasync runs`: one line a run. */
export function listRunsText(path: string): Promise<string> {
  return withStore(path, (store) => {
    const runs = store.listRuns();
    if (runs.length === 0) return "no runs yet\n";
    const rows = runs.map((run) => {
      const counts = store.counts(run.id);
      return [
        run.id,
        run.status === "finished" ? "finished" : "unfinished",
        `${counts.ok + counts.failed}/${counts.total}`,
        String(counts.failed),
        String(run.options.model ?? "(per row)"),
        new Date(run.createdAt).toISOString().replace("T", " ").slice(0, 19),
        run.inputPath === "-" ? "<stdin>" : run.inputPath,
      ];
    });
    return `${alignedTable([["RUN", "STATUS", "DONE", "FAILED", "MODEL", "CREATED", "INPUT"], ...rows]).join("\n")}\n`;
  });
}

/** `metasync status <run>`. */
export function runStatusText(path: string, ref: string): Promise<string> {
  return withStore(path, (store) => {
    const run = requireRun(store, ref);
    const counts = store.counts(run.id);
    const lines = [
      `run       ${run.id}${run.name ? ` (${run.name})` : ""}`,
      `status    ${run.status === "finished" ? "finished" : "unfinished"}`,
      `input     ${run.inputPath === "-" ? "<stdin>" : run.inputPath}`,
      `model     ${String(run.options.model ?? "(per row)")}`,
      `items     ${counts.total} total · ${counts.ok} ok · ${counts.failed} failed · ${counts.pending} pending`,
      `created   ${new Date(run.createdAt).toISOString()}`,
      `updated   ${new Date(run.updatedAt).toISOString()}`,
    ];
    const errors = store.errorsByType(run.id);
    if (errors.length > 0) lines.push(`errors    ${errors.map((e) => `${e.type} ${e.count}`).join(" · ")}`);
    return `${lines.join("\n")}\n`;
  });
}

/** `metasync export <run> -o file`. */
export async function exportRun(
  path: string,
  ref: string,
  out: string,
  format = "metasync",
): Promise<string> {
  if (!isLineFormat(format)) {
    throw new UsageError(`--format must be ${LINE_FORMATS.join(" or ")}, got "${format}"`);
  }
  checkResultsPath(out, format);
  return withStore(path, async (store) => {
    const run = requireRun(store, ref);
    await writeResults(store.entries(run.id), {
      path: out,
      csvHeader: run.csvHeader ?? undefined,
      lineFormat: format,
    });
    return "";
  });
}
