import { stringify } from "csv-stringify/sync";
import { neutralizeFormula } from "../../output/csv-formula.js";
import type { EvalRow } from "../eval-row.js";
import { StreamedFile } from "./file-sinks.js";
import type { EvalOutputWriter } from "./writer.js";

/**
 * `.csv`, one line per row for a spreadsheet: where the row comes from, each var as a `var:<name>`
 * column, then the verdict and what it cost. Nested fields (assertions, named scores) are left to
 * `.jsonl` and `.json`.
 */
export async function openCsvWriter(path: string, varNames: readonly string[]): Promise<EvalOutputWriter> {
  const file = await StreamedFile.open(path);
  await file.write(stringify([csvHeader(varNames)]));
  return {
    add: (row: EvalRow) => file.write(stringify([csvCells(row, varNames)])),
    finish: () => file.close(),
    abort: () => file.discard(),
  };
}

export function csvHeader(varNames: readonly string[]): string[] {
  return [
    "test",
    "description",
    "prompt",
    "provider",
    "repeat",
    ...varNames.map((name) => `var:${name}`),
    "output",
    "status",
    "pass",
    "score",
    "reason",
    "error",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "grading_cost_usd",
  ];
}

/**
 * A row's cells. The text metasync writes (description, prompt and provider labels, output, reason,
 * error) cannot start a formula; the vars are the user's own data and stay as they are. A var the
 * header does not name is left out (`.jsonl` has every var).
 */
export function csvCells(row: EvalRow, varNames: readonly string[]): string[] {
  return [
    String(row.test),
    text(row.description),
    text(row.prompt),
    text(row.provider),
    String(row.repeat),
    ...varNames.map((name) => varCell(row.vars[name])),
    text(row.output),
    row.status,
    String(row.pass),
    String(row.score),
    text(row.reason),
    text(row.error ? `${row.error.type}: ${row.error.message}` : null),
    number(row.latency_ms),
    number(row.usage?.input_tokens),
    number(row.usage?.output_tokens),
    number(row.cost_usd),
    String(row.grading_cost_usd),
  ];
}

function text(value: string | null): string {
  return value === null ? "" : neutralizeFormula(value);
}

function number(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

function varCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
