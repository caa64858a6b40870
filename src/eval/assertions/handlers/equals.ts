import { isDeepStrictEqual } from "node:util";
import { binary, type Handler } from "../handler.js";

/**
 * `equals` (promptfoo src/assertions/equals.ts): a string or number compares with the output as
 * text; an object, array or null value compares deeply with the output parsed as JSON, and
 * output that is not JSON equals no object (so `not-equals` passes).
 */
export const equals: Handler = ({ spec, value, output, inverse }) => {
  let pass: boolean;
  let expected: unknown = value;
  if (typeof value === "object") {
    try {
      pass = isDeepStrictEqual(value, JSON.parse(output)) !== inverse;
    } catch {
      pass = inverse;
    }
    expected = JSON.stringify(value);
  } else {
    pass = (String(value) === output) !== inverse;
  }
  return binary(spec, pass, `Expected output "${output}" to ${inverse ? "not " : ""}equal "${expected}"`);
};
