import type { InputProblem } from "../core/errors.js";
import { formatCount } from "../core/format/number.js";
import { nearestName } from "./nearest-name.js";
import type { MissingField } from "./row-to-request.js";

interface Missing {
  problem: InputProblem;
  field: string;
  template: string;
  count: number;
  /** The first few lines that lack it. */
  lines: number[];
  /** The fields of the first row that lacks it. */
  names: string[];
}

const LINES_SHOWN = 5;
const NAMES_SHOWN = 12;

/**
 * Template fields rows lack, one problem a field however many rows lack it: a misspelled field is
 * missing from every row, and one line naming it, the fields rows do have, and the nearest of them
 * says more than a line per row. The problem takes its place among the others at the first row that
 * lacks the field, and is worded once the input has been read.
 */
export class MissingFields {
  private readonly fields = new Map<string, Missing>();

  constructor(
    private readonly file: string,
    private readonly report: (problem: InputProblem) => void,
  ) {}

  add({ field, template, row }: MissingField, line: number): void {
    const key = `${template}\0${field}`;
    let missing = this.fields.get(key);
    if (!missing) {
      const problem = {
        file: this.file,
        line,
        message: `${template} field "${field}" is missing from this row`,
      };
      missing = { problem, field, template, count: 0, lines: [], names: fieldNames(row, field) };
      this.fields.set(key, missing);
      this.report(problem);
    }
    missing.count++;
    if (missing.lines.length < LINES_SHOWN) missing.lines.push(line);
  }

  /** Words each problem, now that `rows` (all the input's rows) is known. */
  finish(rows: number): void {
    for (const { problem, field, template, count, lines, names } of this.fields.values()) {
      const shownNames = names.filter((name) => !name.includes(".")).slice(0, NAMES_SHOWN);
      const more = names.filter((name) => !name.includes(".")).length > NAMES_SHOWN ? ", …" : "";
      const have = shownNames.length > 0 ? `${shownNames.join(", ")}${more}` : "no fields";
      const nearest = nearestName(field, names, Math.max(1, Math.min(3, Math.floor(field.length / 3))));
      const suggestion = nearest === undefined ? "" : ` — did you mean "${nearest}"?`;
      const head = `${template} field "${field}" is missing from`;
      if (count >= rows) {
        problem.message = `${head} every row (${formatCount(count, "row")}); rows have: ${have}${suggestion}`;
      } else {
        const shownLines = `${lines.join(", ")}${count > lines.length ? ", …" : ""}`;
        problem.message =
          `${head} ${formatCount(count)} of ${formatCount(rows, "row")} (line${count === 1 ? "" : "s"} ` +
          `${shownLines}); ${count === 1 ? "that row has" : "the first has"}: ${have}${suggestion}`;
      }
    }
  }
}

/** A row's field names, and for a dotted field the names beside the part of its path that exists. */
function fieldNames(row: Readonly<Record<string, unknown>>, field: string): string[] {
  const names = Object.keys(row);
  const path = field.split(".");
  let value: unknown = row;
  let prefix = "";
  for (const key of path.slice(0, -1)) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) break;
    const next: unknown = (value as Record<string, unknown>)[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) break;
    value = next;
    prefix += `${key}.`;
    names.push(...Object.keys(next).map((name) => `${prefix}${name}`));
  }
  return names;
}
