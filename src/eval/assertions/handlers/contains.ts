import { binary, type Handler, type HandlerParams, invariant } from "../handler.js";
import { parseCommaSeparatedValues } from "./csv-values.js";

/**
 * `contains`, `icontains` and their `-any`/`-all` forms (promptfoo src/assertions/contains.ts).
 * A script's value (`file://x.js`) takes the place of the written one.
 */
export const contains: Handler = (params) => containsOne(params, false);
export const icontains: Handler = (params) => containsOne(params, true);
export const containsAny: Handler = (params) => containsSome(params, false);
export const icontainsAny: Handler = (params) => containsSome(params, true);
export const containsAll: Handler = (params) => containsEvery(params, false);
export const icontainsAll: Handler = (params) => containsEvery(params, true);

function fold(text: string, caseless: boolean): string {
  return caseless ? text.toLowerCase() : text;
}

function containsOne(
  { spec, baseType, value, valueFromScript, output, inverse }: HandlerParams,
  caseless: boolean,
) {
  const expected = valueFromScript ?? value;
  invariant(
    (typeof expected === "string" && expected !== "") ||
      (typeof expected === "number" && !Number.isNaN(expected)),
    `"${baseType}" assertion type must have a string or number value`,
  );
  const pass = fold(output, caseless).includes(fold(String(expected), caseless)) !== inverse;
  return binary(spec, pass, `Expected output to ${inverse ? "not " : ""}contain "${expected}"`);
}

/** The list a `-any`/`-all` assertion looks for: an array, or a comma-separated string. */
function expectedList({ baseType, value, valueFromScript }: HandlerParams): unknown[] {
  let expected = valueFromScript ?? value;
  invariant(expected, `"${baseType}" assertion type must have a value`);
  if (typeof expected === "string") expected = parseCommaSeparatedValues(expected);
  invariant(Array.isArray(expected), `"${baseType}" assertion type must have an array value`);
  return expected;
}

function containsSome(params: HandlerParams, caseless: boolean) {
  const { spec, output, inverse } = params;
  const expected = expectedList(params);
  const text = fold(output, caseless);
  const pass = expected.some((v) => text.includes(fold(String(v), caseless))) !== inverse;
  return binary(
    spec,
    pass,
    `Expected output to ${inverse ? "not " : ""}contain one of "${expected.join(", ")}"`,
  );
}

function containsEvery(params: HandlerParams, caseless: boolean) {
  const { spec, output, inverse } = params;
  const expected = expectedList(params);
  const text = fold(output, caseless);
  const missing = expected.filter((v) => !text.includes(fold(String(v), caseless)));
  const pass = (missing.length === 0) !== inverse;
  return binary(
    spec,
    pass,
    `Expected output to ${inverse ? "not " : ""}contain all of [${expected.join(", ")}]. Missing: [${missing.join(", ")}]`,
  );
}
