import type { ValidateFunction } from "ajv";
import type { Handler, HandlerParams } from "../handler.js";
import type { GradingResult } from "../types.js";
import { extractJsonObjects } from "./json-extract.js";
import { compileSchema, hasJsonSchema, isStrict, schemaErrors } from "./json-schema.js";

/** A schema that cannot be compiled: the assertion cannot be evaluated (promptfoo src/assertions/json.ts). */
function validatorFor({
  spec,
  baseType,
  value,
  ctx,
}: HandlerParams): { validate: ValidateFunction; strict: boolean } | { failure: GradingResult } {
  const strict = isStrict(ctx.env);
  try {
    return { validate: compileSchema(value, baseType, strict), strict };
  } catch (error) {
    return {
      failure: {
        pass: false,
        score: 0,
        reason: `Invalid JSON schema: ${error instanceof Error ? error.message : String(error)}`,
        assertion: spec,
        error: true,
      },
    };
  }
}

/**
 * `is-json`: the whole output parses with `JSON.parse`; with a value, it also conforms to that
 * JSON Schema (an object, or YAML/JSON text, or a `file://` schema).
 */
export const isJson: Handler = (params) => {
  const { spec, output, value, inverse } = params;
  let parsed: unknown;
  let pass: boolean;
  try {
    parsed = JSON.parse(output);
    pass = !inverse;
  } catch {
    pass = inverse;
  }
  if (parsed !== undefined && hasJsonSchema(value)) {
    const validator = validatorFor(params);
    if ("failure" in validator) return validator.failure;
    const valid = validator.validate(parsed);
    pass = inverse ? !valid : valid;
    if (!pass) {
      return {
        pass,
        score: 0,
        reason: inverse
          ? "Output is JSON that conforms to the provided schema"
          : `JSON does not conform to the provided schema. Errors: ${schemaErrors(validator.validate, validator.strict)}`,
        assertion: spec,
      };
    }
  }
  return {
    pass,
    score: pass ? 1 : 0,
    reason: pass ? "Assertion passed" : "Expected output to be valid JSON",
    assertion: spec,
  };
};

/**
 * `contains-json`: some `{…}` object in the output parses (leniently, see json-extract.ts); with a
 * schema, some extracted object conforms to it.
 */
export const containsJson: Handler = (params) => {
  const { spec, output, value, inverse } = params;
  let reason = "Expected output to contain valid JSON";
  const objects = extractJsonObjects(output);
  let pass = inverse ? objects.length === 0 : objects.length > 0;
  let validator: { validate: ValidateFunction; strict: boolean } | undefined;
  if (objects.length > 0 && hasJsonSchema(value)) {
    const compiled = validatorFor(params);
    if ("failure" in compiled) return compiled.failure;
    validator = compiled;
  }
  if (validator) {
    for (const object of objects) {
      const valid = validator.validate(object);
      pass = inverse ? !valid : valid;
      if (valid) {
        if (inverse) reason = "Output contains JSON conforming to the provided schema";
        break;
      }
      reason = `JSON does not conform to the provided schema. Errors: ${schemaErrors(validator.validate, validator.strict)}`;
    }
  }
  return { pass, score: pass ? 1 : 0, reason: pass ? "Assertion passed" : reason, assertion: spec };
};
