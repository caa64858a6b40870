import type { ItemResult } from "../core/types.js";

/** What a schema field's column is called when its name is taken by an input or a result column. */
export const FIELD_PREFIX = "output.";

/**
 * The CSV columns of a schema's top-level fields, in schema order: each field's own name, or
 * `output.<name>` (`output.output.<name>` …) where an input column or one of metasync's own columns
 * already has it.
 */
export function fieldColumnNames(fields: readonly string[], taken: Iterable<string>): string[] {
  const used = new Set(taken);
  return fields.map((field) => {
    let name = field;
    while (used.has(name)) name = `${FIELD_PREFIX}${name}`;
    used.add(name);
    return name;
  });
}

/** A result's field values: text as it is, numbers and booleans as JSON writes them, lists and objects as JSON. */
export function fieldCells(result: ItemResult | undefined, fields: readonly string[]): string[] {
  const json = result?.output_json;
  const object =
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  return fields.map((field) => {
    const value = Object.hasOwn(object, field) ? object[field] : undefined;
    if (value === undefined || value === null) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}
