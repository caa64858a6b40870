import { stringify } from "csv-stringify/sync";
import type { ResultEntry } from "../core/types.js";
import { neutralizeFormula } from "./csv-formula.js";
import { fieldCells, fieldColumnNames } from "./field-columns.js";
import { openaiBatchLine } from "./openai-batch-line.js";
import { pendingLine, RESULT_COLUMNS, resultCells, resultLine } from "./result-record.js";

/**
 * What results are written as: JSONL lines shaped metasync's way (DESIGN §4) or like OpenAI Batch
 * API output, or CSV rows (the input's columns, then the result columns). The values of
 * `run --out-format` and `export --format`.
 */
export const RESULT_FORMATS = ["metasync", "openai-batch", "csv"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export function isResultFormat(text: string): text is ResultFormat {
  return (RESULT_FORMATS as readonly string[]).includes(text);
}

export interface RecordOptions {
  /** The input's CSV header, if it was a CSV: its columns come first, unchanged. */
  csvHeader?: readonly string[] | undefined;
  /** CSV: metasync's own cells as they are, even those a spreadsheet would run as formulas. */
  csvFormulas?: boolean | undefined;
  /** CSV: the top-level fields of the answers' schema (`--schema`), a column each after the input's. */
  fields?: readonly string[] | undefined;
}

/** Results as text, in a file or on stdout: what comes first, then one record an item. */
export interface ResultRecords {
  /** A CSV's header line; "" for JSONL. */
  header: string;
  /** An item's line or row; "" for an item the format leaves out (Batch API output lists only finished requests). */
  record(entry: ResultEntry): string;
}

export function resultRecords(format: ResultFormat, options: RecordOptions = {}): ResultRecords {
  if (format === "csv") return csvRecords(options);
  if (format === "openai-batch") {
    return { header: "", record: ({ result }) => (result ? openaiBatchLine(result) : "") };
  }
  return { header: "", record: ({ item, result }) => (result ? resultLine(result) : pendingLine(item)) };
}

function csvRecords(options: RecordOptions): ResultRecords {
  const { csvHeader } = options;
  const inputColumns = csvHeader ?? ["id"];
  // Input columns are never changed; metasync's own cells are kept from running as formulas.
  const own = options.csvFormulas
    ? (cells: string[]) => cells
    : (cells: string[]) => cells.map(neutralizeFormula);
  const resultColumns = resultColumnNames(inputColumns);
  const fields = options.fields ?? [];
  const fieldColumns = fieldColumnNames(fields, [...inputColumns, ...resultColumns]);
  return {
    header: stringify([[...inputColumns, ...fieldColumns, ...resultColumns]]),
    record: ({ item, result }) =>
      stringify([
        [
          ...(csvHeader ? (item.columns ?? []) : [item.id]),
          ...own(fieldCells(result, fields)),
          ...own(resultCells(result)),
        ],
      ]),
  };
}

/** The result columns, renamed `result_<name>` where the input already has a column of that name. */
export function resultColumnNames(inputColumns: readonly string[]): string[] {
  const taken = new Set(inputColumns);
  return RESULT_COLUMNS.map((name) => (taken.has(name) ? `result_${name}` : name));
}
