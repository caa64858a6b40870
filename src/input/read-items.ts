import type { Item } from "../core/types.js";
import { readCsv } from "./csv-reader.js";
import type { InputSource } from "./input-source.js";
import { readJsonl } from "./jsonl-reader.js";
import type { ProblemList } from "./problem-list.js";
import type { ReaderOutput } from "./raw-row.js";
import { type RowDefaults, RowInterpreter } from "./row-to-request.js";

export interface ReadItemsOptions {
  defaults: RowDefaults;
  problems: ProblemList;
  /**
   * Keeps each good item, or returns the line of an earlier item with the same id (then the item is
   * a duplicate, and not kept). Default: ids in a map in memory.
   */
  keep?: (item: Item) => number | undefined;
  /** Called with the CSV header once it is known. */
  onHeader?: (header: readonly string[]) => void;
}

/**
 * Streams the input as items, checking every row. Bad rows go to `problems` (with their line) and are
 * not yielded; the caller must not send anything until the stream ends with no problems.
 */
export async function* readItems(source: InputSource, options: ReadItemsOptions): AsyncGenerator<Item> {
  const { problems } = options;
  const interpreter = new RowInterpreter(options.defaults);
  const seen = new Map<string, number>();
  const keep =
    options.keep ??
    ((item: Item) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, item.line);
      return first;
    });
  const rows: AsyncIterable<ReaderOutput> =
    source.format === "jsonl"
      ? readJsonl(source.open())
      : readCsv(source.open(), source.format === "tsv" ? "\t" : ",");
  let index = 0;
  let rowNumber = 0;
  let headerSent = false;
  for await (const row of rows) {
    rowNumber++;
    if (row.kind === "problem") {
      problems.add({ file: source.name, line: row.line, message: row.message });
      continue;
    }
    if (row.kind === "csv" && !headerSent) {
      headerSent = true;
      if (!options.defaults.template && !row.header.includes("prompt")) {
        problems.add({
          file: source.name,
          line: 1,
          message: `no "prompt" column; give --template to build prompts from the columns (${row.header.join(", ")})`,
        });
        return;
      }
      options.onHeader?.(row.header);
    }
    const result = interpreter.interpret(row);
    if (!result.ok) {
      problems.add({ file: source.name, line: row.line, message: result.problem });
      continue;
    }
    const id = result.id ?? String(rowNumber);
    const item: Item = { index, id, line: row.line, request: result.request };
    if (row.kind === "csv") item.columns = row.values;
    const firstLine = keep(item);
    if (firstLine !== undefined) {
      problems.add({
        file: source.name,
        line: row.line,
        message: `duplicate id "${id}" (first at line ${firstLine})`,
      });
      continue;
    }
    index++;
    yield item;
  }
  if (rowNumber === 0)
    problems.add({ file: source.name, message: "no rows to process (the input is empty)" });
}
