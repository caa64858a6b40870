/**
 * The mock models' structured answer: JSON that follows a request's schema, derived from its prompt
 * and the same every time. A field whose name the prompt gives a value (`amount: 12.5`,
 * `party = ACME`) takes that value where it fits the field's type; otherwise text fields take the
 * prompt (its first 100 characters), numbers the prompt's word count, booleans `false`, lists one
 * item, enums their first value.
 */
export function schemaAnswer(schema: unknown, prompt: string): unknown {
  return valueFor(schema, undefined, prompt, 0);
}

type Node = Record<string, unknown>;

function valueFor(schema: unknown, name: string | undefined, prompt: string, depth: number): unknown {
  if (typeof schema !== "object" || schema === null || depth > 20) return null;
  const node = schema as Node;
  if ("const" in node) return node.const;
  const given = name === undefined ? undefined : givenValue(prompt, name);
  if (Array.isArray(node.enum) && node.enum.length > 0) {
    return node.enum.find((option) => String(option) === given) ?? node.enum[0];
  }
  const options = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(options) && options.length > 0) return valueFor(options[0], name, prompt, depth + 1);
  const types = Array.isArray(node.type) ? (node.type as string[]) : [node.type as string | undefined];
  const type = types.find((t) => t !== "null") ?? (node.properties ? "object" : types[0]);
  switch (type) {
    case "object": {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const value: Record<string, unknown> = {};
      for (const [field, child] of Object.entries(properties))
        value[field] = valueFor(child, field, prompt, depth + 1);
      return value;
    }
    case "array":
      return node.items === undefined ? [] : [valueFor(node.items, name, prompt, depth + 1)];
    case "integer": {
      const n = given === undefined ? Number.NaN : Number.parseInt(given, 10);
      return Number.isFinite(n) ? n : wordCount(prompt);
    }
    case "number": {
      const n = given === undefined ? Number.NaN : Number(given);
      return Number.isFinite(n) ? n : wordCount(prompt);
    }
    case "boolean":
      return given === undefined ? false : /^(true|yes|y|1)$/i.test(given);
    case "null":
      return null;
    default:
      return given ?? textFor(node, prompt);
  }
}

/** `name: value` or `name = value` in the prompt, up to the end of the line, a comma or a semicolon. */
function givenValue(prompt: string, name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`(?:^|[^\\w])${escaped}\\s*[:=]\\s*([^,;\\n]+)`, "i").exec(prompt);
  const value = match?.[1]?.trim();
  return value === "" ? undefined : value;
}

const FORMAT_EXAMPLES: Record<string, string> = {
  date: "1970-01-01",
  "date-time": "1970-01-01T00:00:00Z",
  time: "00:00:00Z",
  email: "someone@example.com",
  uri: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
};

function textFor(node: Node, prompt: string): string {
  const example = typeof node.format === "string" ? FORMAT_EXAMPLES[node.format] : undefined;
  if (example !== undefined) return example;
  let text = prompt.trim().slice(0, 100);
  const least = typeof node.minLength === "number" ? node.minLength : 0;
  if (text.length < least) text = text.padEnd(least, ".");
  if (typeof node.maxLength === "number") text = text.slice(0, node.maxLength);
  return text;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word !== "").length;
}
