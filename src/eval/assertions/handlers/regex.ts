import { binary, type Handler, invariant } from "../handler.js";

/**
 * `regex` (promptfoo src/assertions/regex.ts): the pattern has no flags and may match anywhere;
 * an invalid pattern fails the assertion with the engine's message instead of throwing.
 */
export const regex: Handler = ({ spec, value, output, inverse }) => {
  invariant(value && typeof value === "string", '"regex" assertion type must have a string value');
  const pattern = compiled(value);
  if (typeof pattern === "string") {
    return { pass: false, score: 0, reason: `Invalid regex pattern: ${pattern}`, assertion: spec };
  }
  const pass = pattern.test(output) !== inverse;
  return binary(spec, pass, `Expected output to ${inverse ? "not " : ""}match regex "${value}"`);
};

const patterns = new Map<string, RegExp | string>();
const MAX_PATTERNS = 1_000;

/**
 * A pattern compiled once per text (a row's vars may change the text), or why it does not compile.
 * Sharing is safe: without the `g` or `y` flag, `test` keeps no state between calls.
 */
function compiled(source: string): RegExp | string {
  let pattern = patterns.get(source);
  if (pattern === undefined) {
    try {
      pattern = new RegExp(source);
    } catch (error) {
      pattern = error instanceof Error ? error.message : "unknown error";
    }
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    patterns.set(source, pattern);
  }
  return pattern;
}

/** `starts-with` (promptfoo src/assertions/startsWith.ts). */
export const startsWith: Handler = ({ spec, value, output, inverse }) => {
  invariant(value && typeof value === "string", '"starts-with" assertion type must have a string value');
  const pass = output.startsWith(value) !== inverse;
  return binary(spec, pass, `Expected output to ${inverse ? "not " : ""}start with "${value}"`);
};
