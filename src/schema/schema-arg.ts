import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import { compiledSchema } from "./ajv.js";
import { conciseSchema, type JsonSchema } from "./concise-schema.js";

/** Where a `--schema` came from, for messages and for the files a run reads. */
export interface SchemaArg {
  schema: JsonSchema;
  /** The file it was read from, when it was one. */
  file?: string;
}

/**
 * `--schema`'s value, as simonw/llm's `resolve_schema_input` reads it: inline JSON when it starts
 * with `{`, a JSON file when a file of that name exists (or the value ends in `.json`), otherwise the
 * concise form (`name, age int, bio: a one-line bio`). The schema must describe an object (its
 * properties become the CSV columns) and be a valid JSON Schema (Ajv, strict). UsageError otherwise.
 */
export function readSchemaArg(value: string, baseDir: string, option = "--schema"): SchemaArg {
  const text = value.trim();
  if (text === "") throw new UsageError(`${option} is empty`);
  if (text.startsWith("{")) return { schema: checked(parseJson(text, option), option) };
  const path = resolve(baseDir, text);
  if (isFile(path) || /\.json$/i.test(text)) {
    let content: string;
    try {
      content = readFileSync(path, "utf8");
    } catch (error) {
      throw new UsageError(
        `${option} ${text}: cannot read the file (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    return { schema: checked(parseJson(content, `${option} ${text}`), `${option} ${text}`), file: path };
  }
  try {
    return { schema: conciseSchema(value) };
  } catch (error) {
    throw new UsageError(`${option} "${value}": ${(error as Error).message}`);
  }
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message})`);
  }
}

/** A JSON Schema of an object, valid for Ajv in strict mode (an unknown keyword is a typo). */
function checked(value: unknown, where: string): JsonSchema {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: a schema must be a JSON object`);
  }
  const schema = value as JsonSchema;
  if (schema.type !== "object") {
    throw new UsageError(
      `${where}: the schema must describe an object ("type": "object"), whose properties become the answer's fields`,
    );
  }
  try {
    compiledSchema(schema, true);
  } catch (error) {
    throw new UsageError(`${where}: not a valid JSON Schema: ${(error as Error).message}`);
  }
  return schema;
}
