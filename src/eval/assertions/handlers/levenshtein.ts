import { distance } from "fastest-levenshtein";
import { binary, type Handler, invariant } from "../handler.js";

/**
 * `levenshtein` (promptfoo src/assertions/levenshtein.ts): passes when the edit distance between
 * output and value is at most `threshold`, 5 by default (a threshold of 0 is 0). promptfoo's
 * handler ignores `not-`; here `not-levenshtein` negates as promptfoo documents every `not-`.
 */
export const levenshtein: Handler = ({ spec, value, output, inverse }) => {
  invariant(typeof value === "string", '"levenshtein" assertion type must have a string value');
  const d = distance(output, value);
  const threshold = spec.threshold ?? 5;
  const within = d <= threshold;
  return binary(
    spec,
    within !== inverse,
    within
      ? `Levenshtein distance ${d} is less than or equal to threshold ${threshold}`
      : `Levenshtein distance ${d} is greater than threshold ${threshold}`,
  );
};
