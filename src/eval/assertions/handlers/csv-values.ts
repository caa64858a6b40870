import { invariant } from "../handler.js";

/**
 * Splits a `contains-any`/`contains-all` string into values as promptfoo does
 * (src/util/parseCommaSeparatedValues.ts): commas separate values, whitespace around them and
 * repeated commas are ignored, a quoted value keeps its commas, and inside quotes `\"`, `\\` and
 * `""` stand for `"`, `\` and `"`. An unterminated quote, or text after a closing quote before the
 * next comma, is an error rather than a silent pass.
 */
export function parseCommaSeparatedValues(value: string): string[] {
  const results: string[] = [];
  let i = 0;
  while (i < value.length) {
    i = skipWhitespaceAndCommas(value, i);
    if (i >= value.length) break;
    const quoted = value[i] === '"';
    const parsed = quoted ? parseQuotedField(value, i) : parseUnquotedField(value, i);
    results.push(parsed.field);
    i = quoted ? skipWhitespace(value, parsed.nextIndex) : parsed.nextIndex;
    invariant(
      !quoted || i >= value.length || value[i] === ",",
      "Expected comma after quoted field in contains assertion value",
    );
  }
  return results;
}

interface ParsedField {
  field: string;
  nextIndex: number;
}

function skipWhitespace(value: string, start: number): number {
  let i = start;
  while (i < value.length && /\s/.test(value[i] ?? "")) i++;
  return i;
}

function skipWhitespaceAndCommas(value: string, start: number): number {
  let i = start;
  while (i < value.length) {
    i = skipWhitespace(value, i);
    if (value[i] !== ",") break;
    i++;
  }
  return i;
}

function parseQuotedField(value: string, start: number): ParsedField {
  let i = start + 1;
  let field = "";
  let terminated = false;
  while (i < value.length) {
    const char = value[i];
    const next = value[i + 1];
    if (char === "\\" && (next === '"' || next === "\\")) {
      field += next;
      i += 2;
    } else if (char === '"' && next === '"') {
      field += '"';
      i += 2;
    } else if (char === '"') {
      i++;
      terminated = true;
      break;
    } else {
      field += char;
      i++;
    }
  }
  invariant(terminated, "Unterminated quoted field in contains assertion value");
  return { field, nextIndex: i };
}

function parseUnquotedField(value: string, start: number): ParsedField {
  let i = start;
  while (i < value.length && value[i] !== ",") i++;
  return { field: value.substring(start, i).trim(), nextIndex: i };
}
