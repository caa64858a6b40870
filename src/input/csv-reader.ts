import type { Readable } from "node:stream";
import { type Info, parse } from "csv-parse";
import type { ReaderOutput } from "./raw-row.js";

/**
 * Reads CSV or TSV with a header row (csv-parse: quoted fields, embedded newlines, BOM, CRLF).
 * Each row keeps its values unchanged, by column. A row with the wrong number of fields is a problem.
 */
export async function* readCsv(stream: Readable, delimiter: "," | "\t"): AsyncGenerator<ReaderOutput> {
  const parser = stream.pipe(
    parse({
      bom: true,
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // TSV has no quoting convention in practice; quotes are data there.
      quote: delimiter === "," ? '"' : false,
    }),
  );
  let header: string[] | undefined;
  let previousEnd = 0;
  let previousEmpty = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
      previousEnd = info.lines;
      previousEmpty = info.empty_lines;
      if (!header) {
        header = record;
        const problem = headerProblem(header);
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
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    yield {
      kind: "problem",
      line: lines ?? previousEnd + 1,
      message: `malformed CSV: ${(error as Error).message}`,
    };
  }
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
