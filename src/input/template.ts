import { UsageError } from "../core/errors.js";

/**
 * Prompt templates: `{{field}}` and `{{a.b}}` take values from a row; `\{{` is a literal `{{`. A
 * field the row lacks is an input error, never an empty string; a `{{` that is not a placeholder
 * (never closed, a filter, a section) is refused when the template is read, never sent as it is.
 */
export interface Template {
  source: string;
  /** Field paths used, in order of first use. */
  fields: readonly string[];
  render(row: Readonly<Record<string, unknown>>): TemplateResult;
}

export type TemplateResult =
  | { ok: true; text: string }
  | { ok: false; missing: string }
  /** A value the template cannot render (nested too deep to write out as JSON). */
  | { ok: false; field: string; problem: string };

/** How deep a row's value may nest to be rendered (as JSON) into a prompt. */
export const MAX_RENDERED_DEPTH = 1_000;

type Part = { text: string } | { path: string };

/** Mustache, Handlebars and Jinja syntax a placeholder may be mistaken for. */
const SECTION = /^[#/^>!&%=]/;

/**
 * Reads a template; `option` names it in errors (`--template`, `--system`). Throws a UsageError at
 * the first `{{` that is not a placeholder.
 */
export function compileTemplate(source: string, option = "template"): Template {
  const parts: Part[] = [];
  let text = "";
  let at = 0;
  const refuse = (open: number, problem: string, end?: number): never => {
    const before = source.slice(0, open);
    const line = before.split("\n").length;
    const column = open - before.lastIndexOf("\n");
    const where = line > 1 ? `line ${line}, column ${column}` : `column ${column}`;
    const shown = end === undefined ? source.slice(open, open + 30).split("\n")[0] : source.slice(open, end);
    throw new UsageError(`${option}: "${shown}" at ${where}: ${problem}`);
  };
  for (;;) {
    const open = source.indexOf("{{", at);
    if (open < 0) break;
    if (open > 0 && source[open - 1] === "\\") {
      text += `${source.slice(at, open - 1)}{{`;
      at = open + 2;
      continue;
    }
    text += source.slice(at, open);
    const close = source.indexOf("}}", open + 2);
    const nextOpen = source.indexOf("{{", open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      refuse(open, "this {{ is never closed by }} (a placeholder is {{field}}; write \\{{ for a literal {{)");
    }
    const inner = source.slice(open + 2, close);
    const path = inner.trim();
    const end = close + (source[close + 2] === "}" ? 3 : 2);
    if (inner.startsWith("{"))
      refuse(open, "triple braces are not template syntax here; write {{field}}", end);
    if (path === "") refuse(open, "an empty placeholder; write {{field}} (or \\{{ for a literal {{)", end);
    if (path.includes("|")) {
      refuse(open, "filters (|) are not supported; a placeholder is {{field}} or {{a.b}}", end);
    }
    if (SECTION.test(path) || /[{}]/.test(path)) {
      refuse(open, "unknown template syntax; a placeholder is {{field}} or {{a.b}}, nothing more", end);
    }
    if (text !== "") parts.push({ text });
    text = "";
    parts.push({ path });
    at = close + 2;
  }
  text += source.slice(at);
  if (text !== "") parts.push({ text });
  const fields = [...new Set(parts.flatMap((p) => ("path" in p ? [p.path] : [])))];

  return {
    source,
    fields,
    render(row) {
      let text = "";
      for (const part of parts) {
        if ("text" in part) {
          text += part.text;
          continue;
        }
        const value = lookup(row, part.path);
        if (value === undefined || value === null) return { ok: false, missing: part.path };
        if (typeof value === "object" && nestedDeeperThan(value, MAX_RENDERED_DEPTH)) {
          return {
            ok: false,
            field: part.path,
            problem: `nests more than ${MAX_RENDERED_DEPTH.toLocaleString("en-US")} levels deep; a prompt cannot hold it`,
          };
        }
        text +=
          typeof value === "string"
            ? value
            : typeof value === "object"
              ? JSON.stringify(value)
              : String(value);
      }
      return { ok: true, text };
    },
  };
}

/**
 * Whether `value` has objects or arrays nested more than `limit` deep, found without recursion
 * (JSON.stringify of 20,000 levels overflows the stack; JSON.parse reads them fine).
 */
function nestedDeeperThan(value: object, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > limit) return true;
    for (const child of Object.values(node as object)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** A field by its literal name first (CSV columns may contain dots), then as a dotted path. */
function lookup(row: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(row, path)) return row[path];
  let value: unknown = row;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
