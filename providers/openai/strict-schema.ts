/**
 * Whether OpenAI's Structured Outputs may take a schema with `strict: true` (its "Supported schemas"
 * guide, platform.openai.com/docs/guides/structured-outputs#supported-schemas): the root is an
 * object, not `anyOf`; every object sets `additionalProperties: false` and lists every property in
 * `required`; no composition keyword it refuses (`allOf`, `not`, `if`/`then`/`else`,
 * `dependentRequired`, `dependentSchemas`). The type-specific keywords it did not take at first (and
 * still does not for fine-tuned models: `minLength`, `pattern`, `minimum`, `minItems` …) make a
 * schema non-strict too: a strict schema the API refuses fails every row with a 400, while a
 * non-strict one is only a hint — metasync validates each answer either way.
 */
export function strictAllowed(schema: unknown): boolean {
  if (!isObject(schema) || schema.type !== "object" || "anyOf" in schema) return false;
  return nodeAllowed(schema, 0);
}

const REFUSED = new Set([
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "unevaluatedItems",
  "contains",
  "minContains",
  "maxContains",
  "minItems",
  "maxItems",
  "uniqueItems",
]);

/** Objects nest at most this deep in a strict schema (OpenAI: "up to 10 levels of nesting"). */
const MAX_DEPTH = 10;

function nodeAllowed(node: unknown, depth: number): boolean {
  if (typeof node === "boolean") return false;
  if (!isObject(node) || depth > MAX_DEPTH) return false;
  for (const key of Object.keys(node)) if (REFUSED.has(key)) return false;
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes("object") || "properties" in node) {
    const properties = isObject(node.properties) ? node.properties : {};
    const required = Array.isArray(node.required) ? node.required : [];
    if (node.additionalProperties !== false) return false;
    if (!Object.keys(properties).every((name) => required.includes(name))) return false;
    if (!Object.values(properties).every((child) => nodeAllowed(child, depth + 1))) return false;
  }
  if ("items" in node && !nodeAllowed(node.items, depth + 1)) return false;
  if ("anyOf" in node) {
    if (!Array.isArray(node.anyOf) || !node.anyOf.every((child) => nodeAllowed(child, depth + 1)))
      return false;
  }
  for (const defs of ["$defs", "definitions"]) {
    const group = node[defs];
    if (group !== undefined) {
      if (!isObject(group) || !Object.values(group).every((child) => nodeAllowed(child, depth + 1)))
        return false;
    }
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
