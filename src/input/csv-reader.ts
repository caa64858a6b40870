import type { Readable } from "node:stream";
import { type InfoRecord, parse } from "csv-parse";
import type { ReaderOutput } from "./raw-row.js";

/** A parsed record with the line it starts on. */
interface LocatedRecord {
  values: string[];
  line: number;
}

/** How a CSV is split: its delimiter, whether `"` quotes fields, and whether the user chose them. */
export interface CsvDialect {
  delimiter: string;
  quoted: boolean;
  /** `--delimiter` was given: a header of one column is then taken at its word. */
  explicit?: boolean;
}

/** Delimiters a one-column header is checked for (a file split by one of them was read with another), and what to give. */
const OTHER_DELIMITERS: ReadonlyArray<{ delimiter: string; looks: string; give: string }> = [
  { delimiter: ";", looks: "';'-delimited", give: "--delimiter ';'" },
  { delimiter: "\t", looks: "tab-delimited", give: "--format tsv (or --delimiter tab)" },
  { delimiter: "|", looks: "'|'-delimited", give: "--delimiter '|'" },
  { delimiter: ",", looks: "comma-delimited", give: "--format csv (or --delimiter ',')" },
];

/**
 * Reads CSV or TSV with a header row (csv-parse: quoted fields, embedded newlines, BOM, CRLF).
 * Each row keeps its values unchanged, by column. A row with the wrong number of fields is a problem.
 */
export async function* readCsv(stream: Readable, dialect: CsvDialect): AsyncGenerator<ReaderOutput> {
  const { delimiter } = dialect;
  // Lines are counted as records are parsed, before they are read: csv-parse counts a CRLF inside a
  // quoted field as two lines, and when a quote is never closed it names the end of the file.
  let endLine = 0;
  let emptyLines = 0;
  let crlfInFields = 0;
  const nextStart = (emptySoFar: number) => endLine + 1 + (emptySoFar - emptyLines);
  // The first malformed record ends the reading, after the rows parsed before it have been read
  // (an error thrown by the stream would drop those). What follows it cannot be trusted.
  let failure: { line: number; message: string } | undefined;
  const parser = stream.pipe(
    parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // TSV has no quoting convention in practice; quotes are data there.
      quote: dialect.quoted ? '"' : false,
      on_record: (values: string[], context: InfoRecord) => {
        if (failure) return null;
        const located: LocatedRecord = { values, line: nextStart(context.empty_lines) };
        for (const value of values) crlfInFields += value.split("\r\n").length - 1;
        endLine = context.lines - crlfInFields;
        emptyLines = context.empty_lines;
        return located as unknown as string[];
      },
      on_skip: (error) => {
        if (failure || !error) return;
        const { code, lines, empty_lines } = error as { code?: string; lines?: number; empty_lines?: number };
        const start = nextStart(empty_lines ?? emptyLines);
        failure =
          code === "CSV_QUOTE_NOT_CLOSED"
            ? { line: start, message: "malformed CSV: a quoted field in this row is never closed" }
            : {
                line: lines === undefined ? start : lines - crlfInFields,
                message: `malformed CSV: ${error.message}`,
              };
      },
    }),
  );
  let header: string[] | undefined;
  for await (const { values: record, line } of parser as AsyncIterable<LocatedRecord>) {
    if (!header) {
      header = record;
      const problem =
        (dialect.explicit ? undefined : otherDelimiter(header, delimiter)) ?? headerProblem(header);
      if (problem) {
        yield { kind: "problem", line, message: problem };
        return;
      }
      continue;
    }
    if (record.length !== header.length) {
      yield {
        kind: "problem",
        line,
        message: `row has ${record.length} fields, the header has ${header.length}`,
      };
      continue;
    }
    yield { kind: "csv", line, header, values: record };
  }
  if (failure) yield { kind: "problem", ...failure };
}

/** A one-column header that another delimiter splits into columns: the file uses that one. */
function otherDelimiter(header: readonly string[], delimiter: string): string | undefined {
  if (header.length !== 1) return undefined;
  const only = header[0] as string;
  for (const other of OTHER_DELIMITERS) {
    if (other.delimiter === delimiter) continue;
    const names = only.split(other.delimiter);
    if (names.length >= 2 && names.every((name) => name.trim() !== "")) {
      return `the header is one column, "${only}": the file looks ${other.looks}; give ${other.give}`;
    }
  }
  return undefined;
}

function headerProblem(header: string[]): string | undefined {
  const seen = new Set<string>();
  for (const [i, name] of header.entries()) {
    if (name.trim() === "") return `header column ${i + 1} has no name`;
    if (seen.has(name)) return `header names column "${name}" twice`;
    seen.add(name);
  }
  return undefined;
}
