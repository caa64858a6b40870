import type { InputProblem } from "../core/errors.js";
import type { Item } from "../core/types.js";
import { readCsv } from "./csv-reader.js";
import { decodeInput } from "./decode-input.js";
import type { InputSource } from "./input-source.js";
import { readJsonl } from "./jsonl-reader.js";
import { MissingFields } from "./missing-fields.js";
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
  const check = options.defaults.checkRequest;
  const interpreter = new RowInterpreter(options.defaults);
  const seen = new Map<string, number>();
  const keep =
    options.keep ??
    ((item: Item) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, item.line);
      return first;
    });
  let unreadable = false;
  const text = decodeInput(source.open(), {
    name: source.name,
    encoding: source.encoding,
    onProblem: ({ line, message, fatal }) => {
      if (fatal) unreadable = true;
      problems.add({ file: source.name, line, message });
    },
  });
  const rows: AsyncIterable<ReaderOutput> =
    source.format === "jsonl"
      ? readJsonl(text)
      : readCsv(text, {
          delimiter: source.delimiter ?? (source.format === "tsv" ? "\t" : ","),
          quoted: source.format === "csv",
          explicit: source.delimiter !== undefined,
        });
  const missing = new MissingFields(source.name, (problem: InputProblem) => problems.add(problem));
  const numbered = new RowNumberIds();
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
      if (result.missing) missing.add(result.missing, row.line);
      else problems.add({ file: source.name, line: row.line, message: result.problem });
      continue;
    }
    if (check) {
      const verdict = check(result.request);
      const problem = typeof verdict === "object" ? await verdict : verdict;
      if (problem !== undefined) {
        problems.add({ file: source.name, line: row.line, message: problem });
        continue;
      }
    }
    const id = result.id ?? String(rowNumber);
    const item: Item = { index, id, line: row.line, request: result.request };
    if (row.kind === "csv") item.columns = row.values;
    const firstLine = keep(item);
    if (firstLine !== undefined) {
      problems.add({
        file: source.name,
        line: row.line,
        message: duplicateMessage(id, firstLine, result.id === undefined ? rowNumber : undefined, numbered),
      });
      continue;
    }
    if (result.id === undefined) numbered.add(rowNumber);
    index++;
    yield item;
  }
  missing.finish(rowNumber);
  if (rowNumber === 0 && !unreadable)
    problems.add({ file: source.name, message: "no rows to process (the input is empty)" });
}

/**
 * Why an id is taken twice. A row without an id is named by its row number, which another row may
 * have as its own id: that is said as such, not as a plain "duplicate id".
 */
function duplicateMessage(
  id: string,
  firstLine: number,
  rowNumber: number | undefined,
  numbered: RowNumberIds,
): string {
  if (rowNumber !== undefined) {
    return (
      `this row has no id, so its id is its row number, ${rowNumber} — which line ${firstLine} has as its id: ` +
      "give every row an id, or none"
    );
  }
  if (/^[1-9]\d*$/.test(id) && numbered.has(Number(id))) {
    return (
      `id "${id}" is also the id of line ${firstLine}, which has no id and so is named by its row number: ` +
      "give every row an id, or none"
    );
  }
  return `duplicate id "${id}" (first at line ${firstLine})`;
}

/** The row numbers of rows without an id, as runs of consecutive numbers (a few, whatever the input's size). */
class RowNumberIds {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  add(rowNumber: number): void {
    const last = this.ends.length - 1;
    if (last >= 0 && this.ends[last] === rowNumber - 1) this.ends[last] = rowNumber;
    else {
      this.starts.push(rowNumber);
      this.ends.push(rowNumber);
    }
  }

  has(rowNumber: number): boolean {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (rowNumber < (this.starts[middle] as number)) high = middle - 1;
      else if (rowNumber > (this.ends[middle] as number)) low = middle + 1;
      else return true;
    }
    return false;
  }
}
