import { describe, expect, it } from "vitest";
import { type AssertionSpec, runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

const grade = (spec: AssertionSpec, output: string, extra: Parameters<typeof contextFor>[1] = {}) =>
  runAssertion(spec, contextFor(output, extra));

// promptfoo src/assertions/wordCount.ts; docs site/docs/configuration/expected-outputs/deterministic.md#word-count
describe("word-count", () => {
  it("counts whitespace-separated words against an exact number", async () => {
    expect(await grade({ type: "word-count", value: 3 }, "  one two\n three ")).toMatchObject({
      pass: true,
      score: 1,
    });
    expect(await grade({ type: "word-count", value: "3" }, "one two three")).toMatchObject({ pass: true });
    expect(await grade({ type: "word-count", value: 50 }, "one two")).toMatchObject({
      pass: false,
      reason: "Word count 2 does not equal expected 50",
    });
    expect(await grade({ type: "not-word-count", value: 2 }, "one two")).toMatchObject({
      pass: false,
      reason: "Expected word count to not equal 2, but got 2",
    });
  });

  it("checks {min, max}, {min} and {max}, bounds included", async () => {
    const range = { type: "word-count", value: { min: 2, max: 3 } };
    expect(await grade(range, "a b")).toMatchObject({ pass: true });
    expect(await grade(range, "a b c")).toMatchObject({ pass: true });
    expect(await grade(range, "a b c d")).toMatchObject({
      pass: false,
      reason: "Word count 4 is not between 2 and 3",
    });
    expect(await grade({ type: "word-count", value: { min: 5 } }, "a b")).toMatchObject({
      reason: "Word count 2 is less than minimum 5",
    });
    expect(await grade({ type: "word-count", value: { max: 1 } }, "a b")).toMatchObject({
      reason: "Word count 2 is greater than maximum 1",
    });
    expect(await grade({ type: "not-word-count", value: { min: 2, max: 3 } }, "a b")).toMatchObject({
      pass: false,
      reason: "Expected word count to not be between 2 and 3, but got 2",
    });
    expect(await grade({ type: "not-word-count", value: { max: 3 } }, "a b")).toMatchObject({
      reason: "Expected word count to be greater than 3, but got 2",
    });
    expect(await grade({ type: "not-word-count", value: { min: 1 } }, "a b")).toMatchObject({
      reason: "Expected word count to be less than 1, but got 2",
    });
  });

  it("cannot be evaluated with min above max", async () => {
    expect(await grade({ type: "word-count", value: { min: 5, max: 2 } }, "a")).toMatchObject({
      error: true,
      reason: '"word-count" assertion: min (5) must be less than or equal to max (2)',
    });
  });
});

// promptfoo src/assertions/levenshtein.ts, test/assertions/levenshtein.test.ts; docs deterministic.md#levenshtein-distance
describe("levenshtein", () => {
  it("passes within the default threshold of 5", async () => {
    expect(await grade({ type: "levenshtein", value: "test" }, "tast")).toMatchObject({
      pass: true,
      score: 1,
    });
    expect(await grade({ type: "levenshtein", value: "test" }, "completely different")).toMatchObject({
      pass: false,
      score: 0,
      reason: "Levenshtein distance 17 is greater than threshold 5",
    });
  });

  it("uses the threshold given, 0 included", async () => {
    // kitten → sitting is 3 edits (the docs' example)
    expect(await grade({ type: "levenshtein", value: "kitten", threshold: 3 }, "sitting")).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "levenshtein", value: "kitten", threshold: 2 }, "sitting")).toMatchObject({
      pass: false,
      reason: "Levenshtein distance 3 is greater than threshold 2",
    });
    expect(await grade({ type: "levenshtein", value: "test", threshold: 0 }, "tast")).toMatchObject({
      pass: false,
      reason: "Levenshtein distance 1 is greater than threshold 0",
    });
    expect(await grade({ type: "levenshtein", value: "test", threshold: 0 }, "test")).toMatchObject({
      pass: true,
    });
  });

  it("renders the value with the vars", async () => {
    expect(
      await grade({ type: "levenshtein", threshold: 2, value: "{{expected}}" }, "foobaz", {
        vars: { expected: "foobar" },
      }),
    ).toMatchObject({ pass: true });
  });

  it("negates with not- (promptfoo's own handler ignores not-; its docs say every type negates)", async () => {
    expect(await grade({ type: "not-levenshtein", value: "test" }, "completely different")).toMatchObject({
      pass: true,
      score: 1,
    });
    expect(await grade({ type: "not-levenshtein", value: "test" }, "tast")).toMatchObject({
      pass: false,
      reason: "Levenshtein distance 1 is less than or equal to threshold 5",
    });
  });
});

// promptfoo src/assertions/rouge.ts; docs deterministic.md#rouge-n
describe("rouge-n", () => {
  it("scores ROUGE-1 F-measure and passes at the default threshold 0.75", async () => {
    // hello there world vs hello world: precision 2/3, recall 1, F1 0.8
    const result = await grade({ type: "rouge-n", value: "hello world" }, "hello there world");
    expect(result.pass).toBe(true);
    expect(result.score).toBeCloseTo(0.8, 10);
    expect(result.reason).toBe("ROUGE-N score 0.80 is greater than or equal to threshold 0.75");
    const low = await grade({ type: "rouge-n", value: "hello world" }, "goodbye moon");
    expect(low).toMatchObject({
      pass: false,
      score: 0,
      reason: "ROUGE-N score 0.00 is less than threshold 0.75",
    });
  });

  it("is case-insensitive, as documented", async () => {
    expect(await grade({ type: "rouge-n", value: "the cat sat" }, "The Cat Sat")).toMatchObject({
      pass: true,
      score: 1,
    });
  });

  it("takes a threshold, 0 included, and not-rouge-n scores 1 - ROUGE", async () => {
    expect(
      await grade({ type: "rouge-n", value: "hello world", threshold: 0.9 }, "hello there world"),
    ).toMatchObject({
      pass: false,
      reason: "ROUGE-N score 0.80 is less than threshold 0.9",
    });
    expect(
      await grade({ type: "rouge-n", value: "hello world", threshold: 0 }, "nothing alike"),
    ).toMatchObject({
      pass: true,
    });
    const inverse = await grade({ type: "not-rouge-n", value: "hello world" }, "hello there world");
    expect(inverse.pass).toBe(false);
    expect(inverse.score).toBeCloseTo(0.2, 10);
    expect(inverse.reason).toBe("ROUGE-N score 0.80 is greater than or equal to threshold 0.75");
  });

  it("scores blank text 0", async () => {
    expect(await grade({ type: "rouge-n", value: "hello" }, "   ")).toMatchObject({ pass: false, score: 0 });
  });
});

// promptfoo src/assertions/bleu.ts, test/assertions/bleu.test.ts; docs deterministic.md#bleu
describe("bleu", () => {
  it("scores an identical sentence 1 and passes at the default threshold 0.5", async () => {
    const result = await grade({ type: "bleu", value: "The cat sat on the mat." }, "The cat sat on the mat.");
    expect(result).toMatchObject({ pass: true, reason: "Assertion passed" });
    expect(result.score).toBeGreaterThan(0.999);
  });

  it("computes the geometric mean of clipped 1-4-gram precisions", async () => {
    // 5/6, 3/5, 2/4, 1/3 → (5/6 · 3/5 · 1/2 · 1/3)^(1/4) = 0.5373, brevity penalty 1
    const spec = { type: "bleu", value: "The cat sat on the mat.", threshold: 0.8 };
    const result = await grade(spec, "The dog sat on the mat.");
    expect(result.score).toBeCloseTo(((5 / 6) * (3 / 5) * (1 / 2) * (1 / 3)) ** 0.25, 10);
    expect(result).toMatchObject({ pass: false, reason: "BLEU score 0.5373 is less than threshold 0.8" });
    expect(await grade({ ...spec, threshold: 0.5 }, "The dog sat on the mat.")).toMatchObject({ pass: true });
  });

  it("fails very different text with the default threshold", async () => {
    const result = await grade(
      { type: "bleu", value: "The cat sat on the mat." },
      "The dog ran in the park.",
    );
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/^BLEU score \d\.\d{4} is less than threshold 0\.5$/);
  });

  it("takes the best of several references, and the closest reference length for brevity", async () => {
    const value = ["The cat sat on mat.", "Cat mat.", "A cat is sitting on a mat."];
    const result = await grade({ type: "bleu", value }, "The cat sat on mat.");
    expect(result.score).toBeGreaterThan(0.999);
  });

  it("scores a short exact match 1 rather than smoothing it away", async () => {
    expect((await grade({ type: "bleu", value: "cat" }, "cat")).score).toBeCloseTo(1, 10);
  });

  it("not-bleu passes below the threshold and scores 1 - BLEU", async () => {
    const result = await grade(
      { type: "not-bleu", value: "The cat sat on the mat.", threshold: 0.8 },
      "The dog ran in the park.",
    );
    expect(result.pass).toBe(true);
    expect(result.score).toBeGreaterThan(0.5);
    const fails = await grade(
      { type: "not-bleu", value: "The cat sat on the mat." },
      "The cat sat on the mat.",
    );
    expect(fails).toMatchObject({ pass: false, reason: "BLEU score 1.0000 is greater than threshold 0.5" });
  });

  it("ignores blank references and cannot score an empty output", async () => {
    expect(await grade({ type: "bleu", value: ["  ", ""] }, "anything")).toMatchObject({
      pass: false,
      score: 0,
    });
    expect(await grade({ type: "bleu", value: "the reference" }, "")).toMatchObject({
      error: true,
      reason: "Invalid inputs",
    });
  });
});

// promptfoo src/assertions/latency.ts and cost.ts, test/assertions/cost-latency-threshold-edge-cases.test.ts
describe("latency and cost", () => {
  it("latency passes at or under the threshold in ms, 0 included", async () => {
    expect(await grade({ type: "latency", threshold: 5000 }, "x", { latencyMs: 412 })).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "latency", threshold: 200 }, "x", { latencyMs: 412 })).toMatchObject({
      pass: false,
      score: 0,
      reason: "Latency 412ms is greater than threshold 200ms",
    });
    expect(await grade({ type: "latency", threshold: 0 }, "x", { latencyMs: 0 })).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "latency", threshold: 0 }, "x", { latencyMs: 1 })).toMatchObject({
      pass: false,
    });
    expect(await grade({ type: "not-latency", threshold: 500 }, "x", { latencyMs: 412 })).toMatchObject({
      pass: false,
      reason: "Latency 412ms is less than or equal to threshold 500ms",
    });
  });

  it("latency without a measurement cannot be evaluated", async () => {
    expect(await grade({ type: "latency", threshold: 100 }, "x")).toMatchObject({
      error: true,
      reason: "Latency assertion does not support cached results. Rerun the eval with --no-cache",
    });
  });

  it("latency without a threshold records the latency as a metric", async () => {
    expect(await grade({ type: "latency", metric: "ms" }, "x", { latencyMs: 412 })).toMatchObject({
      pass: true,
      score: 412,
    });
  });

  it("cost passes at or under the threshold in USD, with toPrecision(2) in the reason", async () => {
    expect(await grade({ type: "cost", threshold: 0.001 }, "x", { costUsd: 0.0005 })).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "cost", threshold: 0.001 }, "x", { costUsd: 0.0123 })).toMatchObject({
      pass: false,
      reason: "Cost 0.012 is greater than threshold 0.001",
    });
    expect(await grade({ type: "cost", threshold: 0 }, "x", { costUsd: 0 })).toMatchObject({ pass: true });
    expect(await grade({ type: "cost", threshold: 0 }, "x", { costUsd: 0.01 })).toMatchObject({
      pass: false,
    });
    expect(await grade({ type: "not-cost", threshold: 0.01 }, "x", { costUsd: 0.001 })).toMatchObject({
      pass: false,
      reason: "Cost 0.0010 is less than or equal to threshold 0.01",
    });
  });

  it("cost of an unknown price cannot be evaluated", async () => {
    expect(await grade({ type: "cost", threshold: 1 }, "x", { costUsd: null })).toMatchObject({
      error: true,
      reason: "Cost assertion does not support providers that do not return cost",
    });
  });
});
