import { accessSync, constants, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import type { ResultEntry } from "../core/types.js";
import { writeFileAtomically } from "./atomic-file.js";
import { type ResultFormat, resultRecords } from "./result-records.js";

export { resultColumnNames } from "./result-records.js";

export type OutputFormat = "jsonl" | "csv";

/** The results file's format from its extension. */
export function outputFormatOf(path: string): OutputFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".csv") return "csv";
  throw new UsageError(`${path}: the results file must end in .jsonl or .csv`);
}

/**
 * Checks a results file can be written before anything is sent: a known extension, a format that
 * fits it, and a directory that exists and is writable.
 */
export function checkResultsPath(path: string, format: ResultFormat): void {
  const kind = outputFormatOf(path);
  if (format === "openai-batch" && kind !== "jsonl") {
    throw new UsageError(`${path}: --out-format openai-batch writes JSONL; name the file .jsonl`);
  }
  if (format === "csv" && kind !== "csv") {
    throw new UsageError(`${path}: --out-format csv writes CSV; name the file .csv`);
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
  /**
   * JSONL lines as metasync writes them (default) or shaped like OpenAI Batch API output; a `.csv`
   * file is CSV whatever this says.
   */
  format?: ResultFormat;
  /** The input's CSV header, if it was a CSV: its columns come first, unchanged. */
  csvHeader?: readonly string[] | undefined;
  /**
   * CSV: write metasync's own cells as they are even when one starts like a spreadsheet formula. By
   * default such a cell is prefixed with `'` (see csv-formula.ts); input columns are never changed.
   */
  csvFormulas?: boolean | undefined;
  /** CSV: the top-level fields of the answers' schema, a column each after the input's. */
  fields?: readonly string[] | undefined;
}

/** Writes every entry, in input order, to a `.jsonl` or `.csv` file, atomically. */
export async function writeResults(
  entries: Iterable<ResultEntry> | AsyncIterable<ResultEntry>,
  options: WriteResultsOptions,
): Promise<void> {
  const csv = outputFormatOf(options.path) === "csv";
  const records = resultRecords(csv ? "csv" : (options.format ?? "metasync"), options);
  await writeFileAtomically(options.path, async (out) => {
    if (records.header !== "") await out.write(records.header);
    for await (const entry of entries) {
      const text = records.record(entry);
      if (text !== "") await out.write(text);
    }
  });
}
