import { type Handler, invariant } from "../handler.js";

/** Words are runs of non-whitespace (promptfoo src/assertions/wordCount.ts). */
export function countWords(text: string): number {
  return text
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0).length;
}

/**
 * `word-count`: `value: 50` (exactly 50; a numeric string counts), or `{min, max}`, `{min}`,
 * `{max}`, bounds inclusive. Each failure says which bound, as promptfoo's do.
 */
export const wordCount: Handler = ({ spec, value, valueFromScript, output, inverse }) => {
  const expected = valueFromScript ?? value;
  invariant(expected != null, '"word-count" assertion must have a value');
  const count = countWords(output);
  let pass: boolean;
  let reason: string;
  if (typeof expected === "object" && !Array.isArray(expected)) {
    const { min, max } = expected as { min?: number; max?: number };
    invariant(
      min !== undefined || max !== undefined,
      '"word-count" assertion object must have "min" and/or "max" properties',
    );
    if (min !== undefined && max !== undefined) {
      invariant(
        min <= max,
        `"word-count" assertion: min (${min}) must be less than or equal to max (${max})`,
      );
      pass = (count >= min && count <= max) !== inverse;
      reason = inverse
        ? `Expected word count to not be between ${min} and ${max}, but got ${count}`
        : `Word count ${count} is not between ${min} and ${max}`;
    } else if (min === undefined) {
      pass = count <= (max as number) !== inverse;
      reason = inverse
        ? `Expected word count to be greater than ${max}, but got ${count}`
        : `Word count ${count} is greater than maximum ${max}`;
    } else {
      pass = count >= min !== inverse;
      reason = inverse
        ? `Expected word count to be less than ${min}, but got ${count}`
        : `Word count ${count} is less than minimum ${min}`;
    }
  } else {
    invariant(
      typeof expected === "number" || (typeof expected === "string" && !Number.isNaN(Number(expected))),
      '"word-count" assertion value must be a number or an object with min/max properties',
    );
    const exact = typeof expected === "number" ? expected : Number(expected);
    pass = (count === exact) !== inverse;
    reason = inverse
      ? `Expected word count to not equal ${exact}, but got ${count}`
      : `Word count ${count} does not equal expected ${exact}`;
  }
  return { pass, score: pass ? 1 : 0, reason: pass ? "Assertion passed" : reason, assertion: spec };
};
