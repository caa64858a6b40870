import type { RequestParams } from "../core/types.js";
import { responseSchema, schemaFields } from "../schema/response-format.js";

/**
 * The top-level fields of a run's `--schema`, from its request-shaping options as the state database
 * keeps them: the CSV columns a run and its `export` write after the input's. None without a schema.
 */
export function schemaColumns(options: Readonly<Record<string, unknown>>): string[] {
  const params = options.params as RequestParams | undefined;
  return params ? schemaFields(responseSchema(params)) : [];
}
