import type { RequestParams } from "../core/types.js";
import { compiledSchema } from "../schema/ajv.js";

/** The request parameters `readParams` reads: what a row, a Batch API body or a provider config may set. */
export const REQUEST_PARAM_KEYS: ReadonlySet<string> = new Set([
  "temperature",
  "max_tokens",
  "max_completion_tokens",
  "top_p",
  "stop",
  "seed",
  "response_format",
]);

export type ParamsResult = { ok: true; params: RequestParams } | { ok: false; problem: string };

/**
 * Reads and checks request parameters from a row, a Batch API body, a recipe or flags.
 * Unknown fields are left to the caller; wrong types and out-of-range values are problems.
 */
export function readParams(source: Readonly<Record<string, unknown>>): ParamsResult {
  const params: RequestParams = {};
  const { temperature, max_tokens, max_completion_tokens, top_p, stop, seed, response_format } = source;
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== "number" || temperature < 0 || temperature > 2) {
      return { ok: false, problem: `temperature must be a number from 0 to 2, got ${show(temperature)}` };
    }
    params.temperature = temperature;
  }
  const maxTokens = max_tokens ?? max_completion_tokens;
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) {
      return { ok: false, problem: `max_tokens must be a positive whole number, got ${show(maxTokens)}` };
    }
    params.max_tokens = maxTokens as number;
  }
  if (top_p !== undefined && top_p !== null) {
    if (typeof top_p !== "number" || top_p < 0 || top_p > 1) {
      return { ok: false, problem: `top_p must be a number from 0 to 1, got ${show(top_p)}` };
    }
    params.top_p = top_p;
  }
  if (stop !== undefined && stop !== null) {
    const list = typeof stop === "string" ? [stop] : stop;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s !== "")) {
      return {
        ok: false,
        problem: `stop must be a string or a list of non-empty strings, got ${show(stop)}`,
      };
    }
    params.stop = list as string[];
  }
  if (seed !== undefined && seed !== null) {
    if (!Number.isInteger(seed))
      return { ok: false, problem: `seed must be a whole number, got ${show(seed)}` };
    params.seed = seed as number;
  }
  if (response_format !== undefined && response_format !== null) {
    if (typeof response_format !== "object" || Array.isArray(response_format)) {
      return { ok: false, problem: `response_format must be an object, got ${show(response_format)}` };
    }
    const problem = schemaProblem(response_format as Record<string, unknown>);
    if (problem !== undefined) return { ok: false, problem };
    params.response_format = response_format as Record<string, unknown>;
  }
  return { ok: true, params };
}

/**
 * What is wrong with a `json_schema` response format: every answer is validated against its schema,
 * so the schema must be there and be one.
 */
function schemaProblem(format: Record<string, unknown>): string | undefined {
  if (format.type !== "json_schema") return undefined;
  const spec = format.json_schema as { schema?: unknown } | undefined;
  const schema = spec?.schema;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return `response_format of type "json_schema" needs "json_schema": {"name": …, "schema": {…}}`;
  }
  try {
    compiledSchema(schema, false);
  } catch (error) {
    return `response_format's schema is not a valid JSON Schema: ${(error as Error).message}`;
  }
  return undefined;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
