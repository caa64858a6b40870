import type { ValidateFunction } from "ajv";
import { load } from "js-yaml";
import { compiledSchema, validationMessage } from "../../../schema/ajv.js";

/**
 * JSON Schema validation as promptfoo's `is-json`/`contains-json` do it (src/util/json.ts
 * `getAjv`): Ajv 8 with ajv-formats, schema strict mode on unless
 * `PROMPTFOO_DISABLE_AJV_STRICT_MODE` is set. A string schema is read as YAML (JSON is YAML).
 * Compiled validators are kept by schema text, so 100,000 rows compile a schema once and a
 * schema with an `$id` is never registered twice.
 */
/** Validators by the value as written (a text, or the assertion's object): a row parses no YAML and serializes no schema. */
const byText = new Map<string, ValidateFunction>();
const byObject = {
  strict: new WeakMap<object, ValidateFunction>(),
  loose: new WeakMap<object, ValidateFunction>(),
};
const MAX_TEXTS = 1_000;

export function isStrict(env: Readonly<Record<string, string | undefined>> | undefined): boolean {
  const flag = env?.PROMPTFOO_DISABLE_AJV_STRICT_MODE?.trim().toLowerCase();
  return !(flag === "true" || flag === "1" || flag === "yes" || flag === "on");
}

/** Whether an assertion value asks for schema validation (promptfoo's `hasJsonSchema`). */
export function hasJsonSchema(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** A validator for a schema given as an object, a boolean or YAML/JSON text; throws when it is not a schema. */
export function compileSchema(value: unknown, type: string, strict: boolean): ValidateFunction {
  const objects = strict ? byObject.strict : byObject.loose;
  if (typeof value === "string") {
    const text = `${strict}:${value}`;
    let validate = byText.get(text);
    if (!validate) {
      validate = compileSchemaValue(value, type, strict);
      if (byText.size >= MAX_TEXTS) byText.clear();
      byText.set(text, validate);
    }
    return validate;
  }
  if (typeof value === "object" && value !== null) {
    let validate = objects.get(value);
    if (!validate) {
      validate = compileSchemaValue(value, type, strict);
      objects.set(value, validate);
    }
    return validate;
  }
  return compileSchemaValue(value, type, strict);
}

function compileSchemaValue(value: unknown, type: string, strict: boolean): ValidateFunction {
  const schema = typeof value === "string" ? load(value) : value;
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null)) {
    throw new Error(`${type} assertion must have a string, boolean, or object value`);
  }
  return compiledSchema(schema as object | boolean, strict);
}

/** Ajv's own summary of a failed validation, e.g. `data must have required property 'id'`. */
export function schemaErrors(validate: ValidateFunction, strict: boolean): string {
  return validationMessage(validate, strict);
}
