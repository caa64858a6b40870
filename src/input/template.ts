/**
 * Prompt templates: `{{field}}` and `{{a.b}}` take values from a row. A field the row lacks is an
 * input error, never an empty string.
 */
export interface Template {
  source: string;
  /** Field paths used, in order of first use. */
  fields: readonly string[];
  render(row: Readonly<Record<string, unknown>>): TemplateResult;
}

export type TemplateResult = { ok: true; text: string } | { ok: false; missing: string };

type Part = { text: string } | { path: string };

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ path: match[1] as string });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
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
