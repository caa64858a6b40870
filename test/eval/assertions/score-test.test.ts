import { describe, expect, it } from "vitest";
import { type AssertionSpec, scoreTest } from "../../../src/eval/assertions/index.js";
import { NO_GRADER } from "../../../src/eval/grader/row-judge.js";
import { contextFor } from "./context.js";

const score = (assert: AssertionSpec[], output: string, threshold?: number | null, extra = {}) =>
  scoreTest(threshold === undefined ? { assert } : { assert, threshold }, contextFor(output, extra));

// The docs' example, site/docs/configuration/expected-outputs/index.md#weighted-assertions
const WEIGHTED: AssertionSpec[] = [
  { type: "equals", value: "Hello world", weight: 2 },
  { type: "contains", value: "world", weight: 1 },
];

// promptfoo src/assertions/assertionsResult.ts, test/assertions/assertionsResult.test.ts;
// docs expected-outputs/index.md (weights, thresholds, named metrics)
describe("a test's score and verdict", () => {
  it("is the weighted mean; without a threshold every assertion must pass", async () => {
    const result = await score(WEIGHTED, "Goodbye world");
    expect(result.score).toBeCloseTo(1 / 3, 10);
    expect(result.pass).toBe(false);
    expect(result.reason).toBe('Expected output "Goodbye world" to equal "Hello world"');
    expect(await score(WEIGHTED, "Hello world")).toMatchObject({
      pass: true,
      score: 1,
      reason: "All assertions passed",
    });
  });

  it("with a threshold, passes when the score reaches it, 0 included", async () => {
    expect(await score(WEIGHTED, "Goodbye world", 0.5)).toMatchObject({
      pass: false,
      reason: "Aggregate score 0.33 < 0.5 threshold",
    });
    expect(await score(WEIGHTED, "Goodbye world", 0.2)).toMatchObject({
      pass: true,
      reason: "Aggregate score 0.33 ≥ 0.2 threshold",
    });
    expect(await score(WEIGHTED, "Goodbye world", 0)).toMatchObject({
      pass: true,
      reason: "Aggregate score 0.33 ≥ 0 threshold",
    });
    expect(await score(WEIGHTED, "nothing", 0)).toMatchObject({
      pass: true,
      score: 0,
      reason: "Aggregate score 0.00 ≥ 0 threshold",
    });
    const exact = await score(
      [
        { type: "contains", value: "a" },
        { type: "contains", value: "b" },
      ],
      "a",
      0.5,
    );
    expect(exact).toMatchObject({ pass: true, score: 0.5, reason: "Aggregate score 0.50 ≥ 0.5 threshold" });
  });

  it("an empty threshold (null) is no threshold", async () => {
    expect(await score(WEIGHTED, "Goodbye world", null)).toMatchObject({
      pass: false,
      reason: 'Expected output "Goodbye world" to equal "Hello world"',
    });
  });

  it("reports the last failing assertion's reason", async () => {
    const result = await score(
      [
        { type: "contains", value: "a" },
        { type: "contains", value: "b" },
      ],
      "zzz",
    );
    expect(result.reason).toBe('Expected output to contain "b"');
  });

  it("a weight-0 assertion always passes and is left out of the score", async () => {
    const result = await score(
      [
        { type: "contains", value: "absent", weight: 0 },
        { type: "contains", value: "here", weight: 1 },
      ],
      "here",
    );
    expect(result).toMatchObject({ pass: true, score: 1, reason: "All assertions passed" });
    expect(result.componentResults?.[0]).toMatchObject({ pass: true, score: 0 });
  });

  it("has no assertions to grade: passes with score 1", async () => {
    expect(await score([], "anything")).toEqual({
      pass: true,
      score: 1,
      reason: "No assertions",
      namedScores: {},
    });
  });

  it("lists each assertion's grade in order", async () => {
    const result = await score(WEIGHTED, "Goodbye world");
    expect(result.componentResults?.map((r) => [r.assertion?.type, r.pass])).toEqual([
      ["equals", false],
      ["contains", true],
    ]);
  });
});

describe("named metrics", () => {
  it("a metric is the weighted mean of the scores tagged with it", async () => {
    const result = await score(
      [
        { type: "contains", value: "yes", metric: "accuracy", weight: 3 },
        { type: "contains", value: "no", metric: "accuracy", weight: 1 },
        { type: "is-json", metric: "format" },
      ],
      "yes",
    );
    expect(result.namedScores).toEqual({ accuracy: 0.75, format: 0 });
    expect(result.namedScoreWeights).toEqual({ accuracy: 4, format: 1 });
  });

  it("a weight-0 assertion is a measurement: its metric keeps its score", async () => {
    const result = await score([{ type: "javascript", value: "0.8", metric: "safety", weight: 0 }], "x");
    expect(result).toMatchObject({ pass: true, score: 0, namedScores: { safety: 0.8 } });
    const combined = await score(
      [
        { type: "javascript", value: "0.2", metric: "quality", weight: 0 },
        { type: "javascript", value: "0.8", metric: "quality", weight: 3 },
      ],
      "x",
    );
    expect(combined.score).toBeCloseTo(0.8, 10);
    expect(combined.namedScores.quality).toBeCloseTo(0.65, 10);
  });

  it("the F-score example: weight-0 javascript counters feed metrics without failing the test", async () => {
    const counters: AssertionSpec[] = [
      {
        type: "javascript",
        value: "output === 'positive' && context.vars.expected === 'positive' ? 1 : 0",
        metric: "true_positives",
        weight: 0,
      },
      {
        type: "javascript",
        value: "output === 'positive' && context.vars.expected === 'negative' ? 1 : 0",
        metric: "false_positives",
        weight: 0,
      },
      { type: "equals", value: "{{ expected }}", metric: "accuracy" },
    ];
    const result = await score(counters, "positive", undefined, { vars: { expected: "negative" } });
    expect(result.pass).toBe(false);
    expect(result.namedScores).toEqual({ true_positives: 0, false_positives: 1, accuracy: 0 });
    expect(result.componentResults?.slice(0, 2).every((r) => r.pass)).toBe(true);
  });

  it("merges the named scores a script returns, and renders metric names with the vars", async () => {
    const value = "({ pass: true, score: 1, reason: 'ok', namedScores: { tone: 0.5, exact: true } })";
    const result = await score(
      [
        { type: "javascript", value },
        { type: "contains", value: "x", metric: "{{ lang }}-accuracy" },
      ],
      "x",
      undefined,
      { vars: { lang: "fr" } },
    );
    expect(result.namedScores).toEqual({ tone: 0.5, exact: 1, "fr-accuracy": 1 });
  });
});

// docs expected-outputs/index.md#grouping-assertions-via-assertion-sets and deterministic.md#assert-set
describe("assert-set", () => {
  const cheapOrFast: AssertionSpec = {
    type: "assert-set",
    threshold: 0.5,
    assert: [
      { type: "cost", threshold: 0.001 },
      { type: "latency", threshold: 200 },
    ],
  };

  it("passes with its own threshold and counts as one assertion", async () => {
    const result = await score([cheapOrFast, { type: "contains", value: "ok" }], "ok", undefined, {
      costUsd: 0.01,
      latencyMs: 100,
    });
    expect(result).toMatchObject({ pass: true, score: 0.75 });
    const set = result.componentResults?.[0];
    expect(set).toMatchObject({ pass: true, score: 0.5, reason: "Aggregate score 0.50 ≥ 0.5 threshold" });
    // Each set is followed by its members in the list of grades.
    expect(result.componentResults?.map((r) => r.assertion?.type)).toEqual([
      "assert-set",
      "cost",
      "latency",
      "contains",
    ]);
  });

  it("without a threshold needs every member to pass, and takes its weight and metric", async () => {
    const set: AssertionSpec = {
      type: "assert-set",
      weight: 2,
      metric: "quality_checks",
      assert: [
        { type: "contains", value: "hello" },
        { type: "not-contains", value: "error" },
      ],
    };
    const result = await score([set, { type: "is-json" }], "hello, an error");
    expect(result.componentResults?.[0]).toMatchObject({
      pass: false,
      score: 0.5,
      reason: 'Expected output to not contain "error"',
    });
    expect(result.score).toBeCloseTo((0.5 * 2 + 0) / 3, 10);
    expect(result.namedScores).toEqual({ quality_checks: 0.5 });
  });

  it("is graded after the plain assertions, so its failure is the reason reported last", async () => {
    const set: AssertionSpec = { type: "assert-set", assert: [{ type: "contains", value: "from-set" }] };
    const result = await score([set, { type: "contains", value: "plain" }], "neither");
    expect(result.reason).toBe('Expected output to contain "from-set"');
  });

  it("a threshold of 0 passes the set whatever its members say", async () => {
    const set: AssertionSpec = { type: "assert-set", threshold: 0, assert: [{ type: "equals", value: "x" }] };
    expect(await score([set], "y")).toMatchObject({ pass: true, score: 0 });
  });
});

describe("an assertion that cannot be evaluated", () => {
  it("makes the test an error, whatever the threshold, with that assertion's reason", async () => {
    const result = await score(
      [
        { type: "contains", value: "x" },
        { type: "latency", threshold: 100 },
      ],
      "x",
      0,
    );
    expect(result).toMatchObject({
      pass: false,
      error: true,
      reason: "Latency assertion does not support cached results. Rerun the eval with --no-cache",
    });
  });

  it("inside a set too", async () => {
    const set: AssertionSpec = {
      type: "assert-set",
      threshold: 0,
      assert: [{ type: "is-json", value: { type: "nope" } }],
    };
    const result = await score([set], "{}");
    expect(result.error).toBe(true);
    expect(result.reason).toMatch(/^Invalid JSON schema: /);
  });

  it("and a model-graded assertion without a judge is an error, not a pass", async () => {
    expect(await score([{ type: "llm-rubric", value: "is polite" }], "x")).toMatchObject({
      pass: false,
      error: true,
      reason: NO_GRADER,
    });
    expect(await score([{ type: "answer-relevance", value: "x" }], "x")).toMatchObject({
      pass: false,
      error: true,
      reason: '"answer-relevance" is a model-graded assertion metasync does not have yet',
    });
  });
});
