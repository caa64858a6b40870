import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readCsv } from "../input/csv-reader.js";
import { decodeInput } from "../input/decode-input.js";
import type { InputSource } from "../input/input-source.js";
import { readJsonl } from "../input/jsonl-reader.js";
import { ProblemList } from "../input/problem-list.js";
import type { RawRow, ReaderOutput } from "../input/raw-row.js";
import { type RowDefaults, RowInterpreter } from "../input/row-to-request.js";

/** One row of the dataset: as read (to build each candidate's request) and as vars (for scoring). */
export interface DataRow {
  index: number;
  line: number;
  /** The row's id (an `id` field), else its row number. */
  id: string;
  raw: RawRow;
  vars: Readonly<Record<string, unknown>>;
}

/**
 * Reads every row of the dataset and checks each against the source prompt the way `run` would
 * (missing fields, bad values), so that a bad row is reported with its line before anything is
 * sent. Returns the rows and a hash of the file's bytes.
 */
export async function readDataset(
  source: InputSource,
  defaults: RowDefaults,
): Promise<{ rows: DataRow[]; hash: string }> {
  const problems = new ProblemList();
  const text = decodeInput(source.open(), {
    name: source.name,
    encoding: source.encoding,
    onProblem: ({ line, message }) => problems.add({ file: source.name, line, message }),
  });
  const reader: AsyncIterable<ReaderOutput> =
    source.format === "jsonl"
      ? readJsonl(text)
      : readCsv(text, {
          delimiter: source.delimiter ?? (source.format === "tsv" ? "\t" : ","),
          quoted: source.format === "csv",
          explicit: source.delimiter !== undefined,
        });
  const interpreter = new RowInterpreter(defaults);
  const rows: DataRow[] = [];
  const seen = new Map<string, number>();
  for await (const row of reader) {
    if (row.kind === "problem") {
      problems.add({ file: source.name, line: row.line, message: row.message });
      continue;
    }
    const vars = varsOf(row);
    const request = interpreter.interpret(row);
    if (!request.ok) {
      problems.add({ file: source.name, line: row.line, message: request.problem });
      continue;
    }
    const id = request.id ?? String(rows.length + 1);
    const first = seen.get(id);
    if (first !== undefined) {
      problems.add({
        file: source.name,
        line: row.line,
        message: `duplicate id "${id}" (first at line ${first})`,
      });
      continue;
    }
    seen.set(id, row.line);
    rows.push({ index: rows.length, line: row.line, id, raw: row, vars });
  }
  if (rows.length === 0 && problems.total === 0) {
    problems.add({ file: source.name, message: "no rows to optimize on (the input is empty)" });
  }
  problems.throwIfAny();
  const hash = createHash("sha256").update(readFileSync(source.path)).digest("hex").slice(0, 16);
  return { rows, hash };
}

function varsOf(row: RawRow): Record<string, unknown> {
  if (row.kind === "json") return row.value;
  const vars: Record<string, unknown> = {};
  row.header.forEach((name, i) => {
    vars[name] = row.values[i];
  });
  return vars;
}
