import { accessSync, constants, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { stringify } from "csv-stringify/sync";
import { UsageError } from "../core/errors.js";
import type { ItemResult, ResultEntry } from "../core/types.js";
import { writeFileAtomically } from "./atomic-file.js";
import { neutralizeFormula } from "./csv-formula.js";
import { openaiBatchLine } from "./openai-batch-line.js";
import { pendingLine, RESULT_COLUMNS, resultCells, resultLine } from "./result-record.js";

export type OutputFormat = "jsonl" | "csv";

/** The results file's format from its extension. */
export function outputFormatOf(path: string): OutputFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".csv") return "csv";
  throw new UsageError(`${path}: the results file must end in .jsonl or .csv`);
}

/**
 * How each result line is shaped: metasync's own (DESIGN §4) or like OpenAI Batch API output. The
 * values of `run --out-format` and `export --format`.
 */
export const LINE_FORMATS = ["metasync", "openai-batch"] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

export function isLineFormat(text: string): text is LineFormat {
  return (LINE_FORMATS as readonly string[]).includes(text);
}

/** How a result becomes a JSONL line in the chosen format. */
export function lineFormatter(format: LineFormat): (result: ItemResult) => string {
  return format === "openai-batch" ? openaiBatchLine : resultLine;
}

/**
 * Checks a results file can be written before anything is sent: a known extension, a format that
 * fits it, and a directory that exists and is writable.
 */
export function checkResultsPath(path: string, format: LineFormat): void {
  const kind = outputFormatOf(path);
  if (format === "openai-batch" && kind !== "jsonl") {
    throw new UsageError(`${path}: --out-format openai-batch writes JSONL; name the file .jsonl`);
  }
  checkWritable(path, "the results file");
}

/**
 * Checks a file can be written where it is named: not a directory itself, in a directory that
 * exists and that this process may write in. `what` names the file in the message.
 */
export function checkWritable(path: string, what: string): void {
  const cannot = (why: string) => new UsageError(`${path}: cannot write ${what}: ${why}`);
  try {
    if (statSync(path).isDirectory()) throw cannot("it is a directory");
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
  const directory = dirname(resolve(path));
  try {
    accessSync(directory, constants.W_OK);
    if (!statSync(directory).isDirectory()) throw cannot(`${directory} is not a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw cannot(
      code === "ENOENT"
        ? `no such directory ${directory}`
        : code === "ENOTDIR"
          ? `${directory} is not a directory`
          : `cannot write in ${directory}`,
    );
  }
}

export interface WriteResultsOptions {
  path: string;
  /** JSONL lines as metasync writes them (default) or shaped like OpenAI Batch API output. */
  lineFormat?: LineFormat;
  /** The input's CSV header, if it was a CSV: its columns come first, unchanged. */
  csvHeader?: readonly string[] | undefined;
  /**
   * CSV: write metasync's own cells as they are even when one starts like a spreadsheet formula. By
   * default such a cell is prefixed with `'` (see csv-formula.ts); input columns are never changed.
   */
  csvFormulas?: boolean | undefined;
}

/** Writes every entry, in input order, to a `.jsonl` or `.csv` file, atomically. */
export async function writeResults(
  entries: Iterable<ResultEntry> | AsyncIterable<ResultEntry>,
  options: WriteResultsOptions,
): Promise<void> {
  const format = outputFormatOf(options.path);
  await writeFileAtomically(options.path, async (out) => {
    if (format === "jsonl") {
      const batch = options.lineFormat === "openai-batch";
      const line = lineFormatter(options.lineFormat ?? "metasync");
      for await (const { item, result } of entries) {
        if (result) await out.write(line(result));
        else if (!batch) await out.write(pendingLine(item)); // Batch API output lists only finished requests
      }
      return;
    }
    const inputColumns = options.csvHeader ?? ["id"];
    const own = options.csvFormulas
      ? (cells: string[]) => cells
      : (cells: string[]) => cells.map(neutralizeFormula);
    await out.write(stringify([[...inputColumns, ...resultColumnNames(inputColumns)]]));
    for await (const { item, result } of entries) {
      const inputCells = options.csvHeader ? (item.columns ?? []) : [item.id];
      await out.write(stringify([[...inputCells, ...own(resultCells(result))]]));
    }
  });
}

/** The result columns, renamed `result_<name>` where the input already has a column of that name. */
export function resultColumnNames(inputColumns: readonly string[]): string[] {
  const taken = new Set(inputColumns);
  return RESULT_COLUMNS.map((name) => (taken.has(name) ? `result_${name}` : name));
}
