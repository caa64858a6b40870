import { binary, type Handler, invariant } from "../handler.js";

/**
 * `regex` (promptfoo src/assertions/regex.ts): the pattern has no flags and may match anywhere;
 * an invalid pattern fails the assertion with the engine's message instead of throwing.
 */
export const regex: Handler = ({ spec, value, output, inverse }) => {
  invariant(value && typeof value === "string", '"regex" assertion type must have a string value');
  let pattern: RegExp;
  try {
    pattern = new RegExp(value);
  } catch (error) {
    return {
      pass: false,
      score: 0,
      reason: `Invalid regex pattern: ${error instanceof Error ? error.message : "unknown error"}`,
      assertion: spec,
    };
  }
  const pass = pattern.test(output) !== inverse;
  return binary(spec, pass, `Expected output to ${inverse ? "not " : ""}match regex "${value}"`);
};

/** `starts-with` (promptfoo src/assertions/startsWith.ts). */
export const startsWith: Handler = ({ spec, value, output, inverse }) => {
  invariant(value && typeof value === "string", '"starts-with" assertion type must have a string value');
  const pass = output.startsWith(value) !== inverse;
  return binary(spec, pass, `Expected output to ${inverse ? "not " : ""}start with "${value}"`);
};
