import { Ajv, type ValidateFunction } from "ajv";
import formatsPlugin from "ajv-formats";

/**
 * The project's JSON Schema validator: Ajv 8 with ajv-formats, one instance for schema strict mode
 * on and one for off. Eval's assertions (`is-json`, `contains-json`) and `--schema` share them.
 */
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((formatsPlugin as unknown as { default?: AddFormats }).default ??
  formatsPlugin) as unknown as AddFormats;

const instances = new Map<boolean, Ajv>();

export function ajvFor(strict: boolean): Ajv {
  let ajv = instances.get(strict);
  if (!ajv) {
    // Ajv's own warnings (strictTypes "log") would go to the console, past the progress display; what
    // decides pass or fail (an invalid schema throws, a failed validation) is unchanged.
    ajv = new Ajv({ strictSchema: strict, logger: false });
    addFormats(ajv);
    instances.set(strict, ajv);
  }
  return ajv;
}

const validators = new Map<string, ValidateFunction>();

/**
 * A schema's validator, compiled once per schema text: 100,000 rows compile it once, and a schema
 * with an `$id` is never registered twice. Throws Ajv's error when it is not a valid schema.
 */
export function compiledSchema(schema: object | boolean, strict: boolean): ValidateFunction {
  const key = `${strict}:${JSON.stringify(schema)}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajvFor(strict).compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** Ajv's own summary of a failed validation, e.g. `data must have required property 'id'`. */
export function validationMessage(validate: ValidateFunction, strict: boolean): string {
  return ajvFor(strict).errorsText(validate.errors);
}
