import { extname } from "node:path";
import { stringify } from "csv-stringify/sync";
import { UsageError } from "../errors.js";
import { writeFileAtomically } from "./atomic-file.js";
import { pendingLine, RESULT_COLUMNS, type ResultEntry, resultCells, resultLine } from "./result-record.js";

export type OutputFormat = "jsonl" | "csv";

/** The results file's format from its extension. */
export function outputFormatOf(path: string): OutputFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".csv") return "csv";
  throw new UsageError(`${path}: the results file must end in .jsonl or .csv`);
}

export interface WriteResultsOptions {
  path: string;
  /** The input's CSV header, if it was a CSV: its columns come first, unchanged. */
  csvHeader?: readonly string[] | undefined;
}

/** Writes every entry, in input order, to a `.jsonl` or `.csv` file, atomically. */
export async function writeResults(
  entries: Iterable<ResultEntry> | AsyncIterable<ResultEntry>,
  options: WriteResultsOptions,
): Promise<void> {
  const format = outputFormatOf(options.path);
  await writeFileAtomically(options.path, async (out) => {
    if (format === "jsonl") {
      for await (const { item, result } of entries)
        await out.write(result ? resultLine(result) : pendingLine(item));
      return;
    }
    const inputColumns = options.csvHeader ?? ["id"];
    await out.write(stringify([[...inputColumns, ...resultColumnNames(inputColumns)]]));
    for await (const { item, result } of entries) {
      const inputCells = options.csvHeader ? (item.columns ?? []) : [item.id];
      await out.write(stringify([[...inputCells, ...resultCells(result)]]));
    }
  });
}

/** The result columns, renamed `result_<name>` where the input already has a column of that name. */
export function resultColumnNames(inputColumns: readonly string[]): string[] {
  const taken = new Set(inputColumns);
  return RESULT_COLUMNS.map((name) => (taken.has(name) ? `result_${name}` : name));
}
