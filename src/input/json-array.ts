import type { ReaderOutput } from "./raw-row.js";

/** Where the scan is: before `[`, between rows, inside a row, after `]`, or stopped by a problem. */
type State = "open" | "row-or-close" | "row" | "comma-or-close" | "closed" | "failed";

/** Outside strings: what changes depth or ends a row. Inside strings: what ends or escapes them. */
const STRUCTURE = /["{}[\],]/g;
const IN_STRING = /["\\]/g;

/**
 * A JSON array of rows (`[{…}, {…}]`), read a line at a time so memory holds one row, never the whole
 * array. Each row is parsed on its own and located at the line it starts on.
 */
export class JsonArrayParser {
  private state: State = "open";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private row = "";
  private rowLine = 0;
  private lastLine = 0;

  /** Takes one line (without its newline); returns the rows and problems it completes. */
  push(text: string, line: number): ReaderOutput[] {
    this.lastLine = line;
    const out: ReaderOutput[] = [];
    let i = 0;
    const n = text.length;
    while (i < n && this.state !== "failed") {
      if (this.state === "row") {
        const end = this.scanRow(text, i);
        if (end < 0) {
          this.row += `${text.slice(i)}\n`;
          return out;
        }
        this.row += text.slice(i, end);
        out.push(this.finishRow());
        i = end;
        this.state = "comma-or-close";
        continue;
      }
      const c = text[i] as string;
      if (c === " " || c === "\t" || c === "\r" || c === "\uFEFF") {
        i++;
        continue;
      }
      if (this.state === "open") {
        if (c !== "[") return this.fail(out, line, `expected "[" to open an array of rows, got "${c}"`);
        this.state = "row-or-close";
        i++;
      } else if (this.state === "row-or-close") {
        if (c === "]") {
          this.state = "closed";
          i++;
        } else if (c === ",") {
          return this.fail(out, line, `unexpected "," in the array: a row is missing`);
        } else {
          this.state = "row";
          this.row = "";
          this.rowLine = line;
          this.depth = 0;
          this.inString = false;
          this.escaped = false;
        }
      } else if (this.state === "comma-or-close") {
        if (c === ",") this.state = "row-or-close";
        else if (c === "]") this.state = "closed";
        else return this.fail(out, line, `expected "," or "]" after the row, got "${c}"`);
        i++;
      } else {
        return this.fail(out, line, `unexpected text after the array's closing "]"`);
      }
    }
    if (this.state === "row") this.row += "\n";
    return out;
  }

  /** The problem of an array that never closes, if it did not. */
  end(): ReaderOutput[] {
    if (this.state === "closed" || this.state === "failed") return [];
    const message =
      this.state === "row"
        ? `the row starting here never ends (the JSON array is cut short)`
        : `the JSON array is never closed (no "]")`;
    return [{ kind: "problem", line: this.state === "row" ? this.rowLine : this.lastLine, message }];
  }

  /**
   * The offset in `text` where the current row ends (after the bracket that closes an object or
   * array; before a `,` or `]` after any other value), or -1 when it goes on past this line.
   */
  private scanRow(text: string, from: number): number {
    let i = from;
    for (;;) {
      if (this.escaped) {
        this.escaped = false;
        i++;
        continue;
      }
      const pattern = this.inString ? IN_STRING : STRUCTURE;
      pattern.lastIndex = i;
      const match = pattern.exec(text);
      if (!match) return -1;
      i = match.index;
      const c = match[0];
      if (this.inString) {
        if (c === "\\") this.escaped = true;
        else this.inString = false;
      } else if (c === '"') {
        this.inString = true;
      } else if (c === "{" || c === "[") {
        this.depth++;
      } else if ((c === "}" || c === "]") && this.depth > 0) {
        this.depth--;
        // An object or array row ends with its closing bracket.
        if (this.depth === 0) return i + 1;
      } else if (this.depth === 0 && (c === "," || c === "]")) {
        return i;
      }
      i++;
    }
  }

  private finishRow(): ReaderOutput {
    const line = this.rowLine;
    let value: unknown;
    try {
      value = JSON.parse(this.row);
    } catch (error) {
      return { kind: "problem", line, message: `malformed JSON: ${(error as Error).message}` };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
      return { kind: "problem", line, message: `expected a JSON object, got ${got}` };
    }
    return { kind: "json", line, value: value as Record<string, unknown> };
  }

  private fail(out: ReaderOutput[], line: number, message: string): ReaderOutput[] {
    this.state = "failed";
    out.push({ kind: "problem", line, message });
    return out;
  }
}
