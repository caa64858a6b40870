import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AssertionSpec,
  checkAssertion,
  SUPPORTED_ASSERTION_TYPES,
} from "../../../src/eval/assertions/index.js";

/** Model-graded types promptfoo's handlers do not negate (metasync refuses their not-). */
const UNNEGATED: ReadonlySet<string> = new Set([
  "llm-rubric",
  "factuality",
  "model-graded-factuality",
  "model-graded-closedqa",
  "g-eval",
  "select-best",
]);

const WHERE = "promptfooconfig.yaml: tests[3].assert[1]";
const check = (spec: AssertionSpec, options = {}) => checkAssertion(spec, WHERE, options);

describe("checkAssertion", () => {
  it("accepts every supported type, and each with not-", () => {
    const values: Record<string, AssertionSpec> = {
      equals: { type: "equals", value: "x" },
      contains: { type: "contains", value: "x" },
      icontains: { type: "icontains", value: 0 },
      "contains-any": { type: "contains-any", value: ["a", "b"] },
      "contains-all": { type: "contains-all", value: "a, b" },
      "icontains-any": { type: "icontains-any", value: "a" },
      "icontains-all": { type: "icontains-all", value: ["a"] },
      "starts-with": { type: "starts-with", value: "x" },
      regex: { type: "regex", value: "\\d+" },
      "is-json": { type: "is-json", value: { type: "object" } },
      "contains-json": { type: "contains-json" },
      "is-xml": { type: "is-xml", value: { requiredElements: ["a.b"] } },
      "contains-xml": { type: "contains-xml", value: "a.b" },
      "word-count": { type: "word-count", value: { min: 1 } },
      levenshtein: { type: "levenshtein", value: "x", threshold: 0 },
      "rouge-n": { type: "rouge-n", value: "x" },
      bleu: { type: "bleu", value: ["x", "y"] },
      latency: { type: "latency", threshold: 100 },
      cost: { type: "cost", threshold: 0 },
      javascript: { type: "javascript", value: "output.length > 0" },
      "assert-set": { type: "assert-set", assert: [{ type: "contains", value: "x" }] },
      "llm-rubric": { type: "llm-rubric", value: "is polite" },
      factuality: { type: "factuality", value: "Paris" },
      "model-graded-factuality": { type: "model-graded-factuality", value: "Paris" },
      "model-graded-closedqa": { type: "model-graded-closedqa", value: "is polite" },
      "g-eval": { type: "g-eval", value: ["clear", "short"] },
      "select-best": { type: "select-best", value: "most polite" },
      similar: { type: "similar", value: "hello", threshold: 0.8 },
      "similar:cosine": { type: "similar:cosine", value: "hello" },
      "similar:dot": { type: "similar:dot", value: "hello" },
      "similar:euclidean": { type: "similar:euclidean", value: "hello" },
    };
    expect(Object.keys(values).sort()).toEqual([...SUPPORTED_ASSERTION_TYPES].sort());
    for (const spec of Object.values(values)) {
      expect(check(spec)).toBeUndefined();
      const negatable = spec.type !== "assert-set" && !UNNEGATED.has(spec.type);
      if (negatable) expect(check({ ...spec, type: `not-${spec.type}` })).toBeUndefined();
    }
  });

  it("refuses the model-graded types metasync does not have, and not- where promptfoo ignores it", () => {
    for (const type of ["answer-relevance", "context-recall", "moderation"]) {
      expect(check({ type, value: "x" })).toBe(
        `${WHERE}: "${type}" is a model-graded assertion metasync does not have yet`,
      );
    }
    for (const type of UNNEGATED) {
      expect(check({ type: `not-${type}`, value: "x" })).toBe(
        `${WHERE}: "not-${type}": promptfoo does not negate ${type} (its verdict ignores not-); write the negation into the rubric`,
      );
    }
    expect(check({ type: "not-similar", value: "x" })).toBeUndefined();
  });

  it("refuses promptfoo's other types and unknown ones, never passing them silently", () => {
    expect(check({ type: "python", value: "True" })).toBe(
      `${WHERE}: "python" assertions are not supported yet`,
    );
    expect(check({ type: "is-sql" })).toBe(`${WHERE}: "is-sql" assertions are not supported yet`);
    expect(check({ type: "promptfoo:redteam:harmful" })).toBe(
      `${WHERE}: "promptfoo:redteam:harmful" assertions are not supported yet`,
    );
    expect(check({ type: "contians", value: "x" })).toBe(`${WHERE}: unknown assertion type "contians"`);
    expect(check({} as AssertionSpec)).toBe(`${WHERE}: an assertion needs a "type"`);
  });

  it("refuses assertion keys it would otherwise ignore", () => {
    const spec = { type: "contains", value: "x", transform: "output.trim()" } as AssertionSpec;
    expect(check(spec)).toBe(`${WHERE}: "transform" on an assertion is not supported yet`);
    expect(check({ type: "contains", value: "x", treshold: 1 } as AssertionSpec)).toBe(
      `${WHERE}: unknown key "treshold" in an assertion (known: type, value, threshold, weight, metric, provider, rubricPrompt, assert, config)`,
    );
  });

  it("checks thresholds, weights and metrics", () => {
    expect(check({ type: "contains", value: "x", threshold: "high" as unknown as number })).toBe(
      `${WHERE}: "threshold" must be a number, not "high"`,
    );
    expect(check({ type: "contains", value: "x", weight: Number.NaN })).toBe(
      `${WHERE}: "weight" must be a number, not NaN`,
    );
    expect(check({ type: "contains", value: "x", metric: 3 as unknown as string })).toBe(
      `${WHERE}: "metric" must be a string`,
    );
    expect(check({ type: "contains", value: "x", threshold: null as unknown as number })).toBeUndefined();
  });

  it("refuses values no row could use", () => {
    expect(check({ type: "contains" })).toBe(`${WHERE}: "contains" needs a string or a number as its value`);
    expect(check({ type: "contains-any", value: '"open' })).toBe(
      `${WHERE}: Unterminated quoted field in contains assertion value`,
    );
    expect(check({ type: "regex" })).toBe(`${WHERE}: "regex" needs a string as its value`);
    expect(check({ type: "word-count", value: { min: 5, max: 1 } })).toBe(
      `${WHERE}: "word-count": min (5) must be less than or equal to max (1)`,
    );
    expect(check({ type: "word-count" })).toBe(
      `${WHERE}: "word-count" needs a number or {min, max} as its value`,
    );
    expect(check({ type: "is-xml", value: { tags: ["a"] } })).toBe(
      `${WHERE}: xml assertion must contain a string, array value, or no value`,
    );
    expect(check({ type: "bleu", value: 3 })).toBe(
      `${WHERE}: "bleu" needs a string or a list of strings as its value`,
    );
    expect(check({ type: "latency" })).toBe(
      `${WHERE}: "latency" needs a threshold, or a metric to record the latency in`,
    );
    expect(check({ type: "latency", metric: "ms" })).toBeUndefined();
    expect(check({ type: "not-cost", metric: "usd" })).toBe(`${WHERE}: "not-cost" needs a threshold`);
  });

  it("compiles inline JSON schemas and javascript before anything is sent", () => {
    expect(check({ type: "is-json", value: { type: "objekt" } })).toMatch(
      new RegExp(`^${WHERE.replace(/[[\]]/g, "\\$&")}: invalid JSON schema: `),
    );
    expect(check({ type: "is-json", value: { type: "object", exemple: 1 } })).toBe(
      `${WHERE}: invalid JSON schema: strict mode: unknown keyword: "exemple"`,
    );
    expect(
      check(
        { type: "is-json", value: { type: "object", exemple: 1 } },
        { env: { PROMPTFOO_DISABLE_AJV_STRICT_MODE: "1" } },
      ),
    ).toBeUndefined();
    expect(check({ type: "javascript", value: "output.includes(" })).toMatch(
      /: javascript does not compile: /,
    );
    expect(check({ type: "javascript", value: "const s = output.length; s > 1" })).toBeUndefined();
    expect(check({ type: "javascript", value: "const s = ; s > 1" })).toMatch(
      /: javascript does not compile: /,
    );
    expect(
      check({ type: "javascript", value: "if (output) {\n  return true;\n}\nreturn false;\n" }),
    ).toBeUndefined();
    // A value with vars is known only per row.
    expect(check({ type: "javascript", value: "output === {{ x" })).toBeUndefined();
  });

  it("checks file:// values: kinds of file, and existence when given the config's directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-assert-check-"));
    writeFileSync(join(dir, "assert.js"), "module.exports = () => true;\n");
    writeFileSync(join(dir, "schema.json"), "{}");
    expect(check({ type: "javascript", value: "file://assert.js" }, { baseDir: dir })).toBeUndefined();
    expect(check({ type: "javascript", value: "file://assert.js:named" }, { baseDir: dir })).toBeUndefined();
    expect(check({ type: "is-json", value: "file://schema.json" }, { baseDir: dir })).toBeUndefined();
    expect(check({ type: "javascript", value: "file://missing.js" }, { baseDir: dir })).toBe(
      `${WHERE}: file://missing.js: no such file (looked for ${join(dir, "missing.js")})`,
    );
    expect(check({ type: "javascript", value: "file://assert.py" })).toBe(
      `${WHERE}: Python files (file://assert.py) are not supported yet`,
    );
    expect(check({ type: "javascript", value: "file://assert.ts" })).toBe(
      `${WHERE}: TypeScript files (file://assert.ts) are not supported yet; point to the compiled .js file`,
    );
    expect(check({ type: "contains", value: "file://notes.docx" })).toBe(
      `${WHERE}: unsupported file type in file://notes.docx: use .js, .cjs, .mjs, .json, .yaml, .yml or .txt`,
    );
  });

  it("checks the members of an assert-set, naming the member", () => {
    const set: AssertionSpec = {
      type: "assert-set",
      assert: [
        { type: "contains", value: "x" },
        { type: "answer-relevance", value: "polite" },
      ],
    };
    expect(check(set)).toBe(
      `${WHERE}.assert[1]: "answer-relevance" is a model-graded assertion metasync does not have yet`,
    );
    expect(check({ type: "assert-set", assert: [] })).toBe(
      `${WHERE}: an assert-set needs a non-empty "assert" list`,
    );
    expect(
      check({
        type: "assert-set",
        assert: [{ type: "assert-set", assert: [{ type: "equals", value: "x" }] }],
      }),
    ).toBe(`${WHERE}.assert[0]: an assert-set cannot contain another assert-set`);
    expect(check({ type: "not-assert-set", assert: [] })).toBe(
      `${WHERE}: "not-assert-set": an assert-set cannot be negated`,
    );
  });
});
