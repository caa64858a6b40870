/** A JSON Schema object, as read from a file, inline JSON or the concise form. */
export type JsonSchema = Record<string, unknown>;

/** simonw/llm's concise types (`llm/utils.py` `schema_dsl`); a field without one is a string. */
const TYPES: Record<string, string> = { int: "integer", float: "number", bool: "boolean", str: "string" };

/**
 * simonw/llm's concise schema (`llm/utils.py` `schema_dsl`): fields separated by commas, or by
 * newlines when there is one; each `name [type][: description]`, the type one of `str` (default),
 * `int`, `float`, `bool`. Every field is required. Throws with what is wrong.
 */
export function conciseSchema(text: string): JsonSchema {
  const fields = text
    .split(text.includes("\n") ? "\n" : ",")
    .map((field) => field.trim())
    .filter((field) => field !== "");
  if (fields.length === 0) throw new Error("the schema names no field");
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields) {
    const colon = field.indexOf(":");
    const head = (colon >= 0 ? field.slice(0, colon) : field).trim();
    const description = colon >= 0 ? field.slice(colon + 1).trim() : "";
    const parts = head.split(/\s+/).filter((part) => part !== "");
    const [name, type = "str", ...rest] = parts;
    if (name === undefined) throw new Error(`field "${field}" has no name before ":"`);
    if (rest.length > 0) {
      throw new Error(
        `field "${field}": a name, then one type (str, int, float, bool), then ": description"`,
      );
    }
    const jsonType = TYPES[type];
    if (jsonType === undefined) {
      throw new Error(`unknown type "${type}" for field "${name}" (known: str, int, float, bool)`);
    }
    if (Object.hasOwn(properties, name)) throw new Error(`duplicate field "${name}"`);
    properties[name] = description === "" ? { type: jsonType } : { type: jsonType, description };
  }
  return { type: "object", properties, required: Object.keys(properties), additionalProperties: false };
}
