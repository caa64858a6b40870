import type { RequestParams } from "../core/types.js";
import type { JsonSchema } from "./concise-schema.js";

/** The name a `--schema` goes by in a request (OpenAI's `json_schema.name`, Anthropic's tool name). */
export const SCHEMA_NAME = "output";

/**
 * A schema as the request's `response_format`, in OpenAI's shape — the one form every provider
 * module translates (OpenAI adds `strict` where the schema allows it, Anthropic forces a tool call).
 */
export function schemaResponseFormat(schema: JsonSchema): Record<string, unknown> {
  return { type: "json_schema", json_schema: { name: SCHEMA_NAME, schema } };
}

/** The JSON Schema a request's answer must follow, if its `response_format` gives one. */
export function responseSchema(params: Pick<RequestParams, "response_format">): JsonSchema | undefined {
  const format = params.response_format;
  if (format?.type !== "json_schema") return undefined;
  const spec = format.json_schema as { schema?: unknown } | undefined;
  const schema = spec?.schema;
  return typeof schema === "object" && schema !== null && !Array.isArray(schema)
    ? (schema as JsonSchema)
    : undefined;
}

/** A schema's top-level properties, in the order it lists them: the CSV results file's field columns. */
export function schemaFields(schema: JsonSchema | undefined): string[] {
  const properties = schema?.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return [];
  return Object.keys(properties);
}
