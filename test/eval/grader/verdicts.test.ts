import { describe, expect, it } from "vitest";
import {
  closedQaVerdict,
  factualityVerdict,
  gevalSteps,
  gevalVerdict,
  rubricVerdict,
  selectBestIndex,
  similarityOf,
  similarityVerdict,
} from "../../../src/eval/grader/verdicts.js";

describe("reading a judge's reply as promptfoo does", () => {
  it("llm-rubric: the first JSON object, its defaults, and the threshold", () => {
    expect(
      rubricVerdict('Sure.\n{"reason": "greets", "pass": true, "score": 0.9} {"pass": false}', undefined),
    ).toEqual({
      pass: true,
      score: 0.9,
      reason: "greets",
    });
    // pass defaults to true, score to the pass; a non-boolean pass is read as yes/no.
    expect(rubricVerdict("{}", undefined)).toEqual({ pass: true, score: 1, reason: "Grading passed" });
    expect(rubricVerdict('{"pass": "no"}', undefined)).toEqual({
      pass: false,
      score: 0,
      reason: "Score 0 below threshold undefined",
    });
    expect(rubricVerdict('{"pass": "Yes", "score": "0.4"}', 0.5)).toEqual({
      pass: false,
      score: 0.4,
      reason: "Score 0.4 below threshold 0.5",
    });
    expect(rubricVerdict('```json\n{"reason": "ok", "pass": true, "score": 0.7}\n```', 0.7).pass).toBe(true);
  });

  it("llm-rubric: a reply without a JSON object cannot be evaluated", () => {
    expect(rubricVerdict("The output passes.", undefined)).toEqual({
      pass: false,
      score: 0,
      reason: "Could not extract JSON from llm-rubric response",
      malformed: true,
    });
  });

  it("factuality: the JSON category, the legacy (A) form, and what is neither", () => {
    expect(factualityVerdict('{"category": "b", "reason": "adds a detail"}')).toEqual({
      pass: true,
      score: 1,
      reason: "adds a detail",
    });
    expect(factualityVerdict('{"category": "D"}')).toEqual({
      pass: false,
      score: 0,
      reason: "Category D: There is a disagreement between the submitted answer and the expert answer.",
    });
    expect(factualityVerdict("(E) The differences do not matter.")).toEqual({
      pass: true,
      score: 1,
      reason: "The differences do not matter.",
    });
    expect(factualityVerdict('{"category": "F"}')).toMatchObject({
      malformed: true,
      reason: "Invalid category value: F",
    });
    expect(factualityVerdict("I cannot tell.")).toMatchObject({
      malformed: true,
      reason: "Factuality checker output did not match expected format: I cannot tell.",
    });
  });

  it("model-graded-closedqa: the last letter, Y or N", () => {
    expect(closedQaVerdict("It does.\nY\nY\n")).toEqual({
      pass: true,
      score: 1,
      reason: "The submission meets the criterion:\nIt does.\nY\nY\n",
    });
    expect(closedQaVerdict("It does not.\nN")).toMatchObject({ pass: false, score: 0 });
    expect(closedQaVerdict("It does not.\nN").malformed).toBeUndefined();
    expect(closedQaVerdict("Maybe.")).toMatchObject({
      pass: false,
      malformed: true,
      reason: "Model grader produced a malformed response:\nMaybe.",
    });
  });

  it("g-eval: the steps, then a 0–10 score divided by 10 against the threshold", () => {
    expect(gevalSteps('JSON: {"steps": ["a", "b"]}')).toEqual(["a", "b"]);
    expect(gevalSteps('{"steps": []}')).toMatchObject({
      malformed: true,
      reason: "LLM does not propose any evaluation step",
    });
    expect(gevalSteps("1. read it")).toMatchObject({ malformed: true });
    expect(gevalVerdict('{"score": 7, "reason": "mostly"}', 0.7)).toEqual({
      pass: true,
      score: 0.7,
      reason: "mostly",
    });
    expect(gevalVerdict('{"score": "6", "reason": "some"}', 0.7)).toEqual({
      pass: false,
      score: 0.6,
      reason: "some",
    });
    expect(gevalVerdict('{"score": "high"}', 0.7)).toMatchObject({
      malformed: true,
      reason: 'G-Eval result has invalid or missing score: "high"',
    });
    expect(gevalVerdict("seven", 0.7)).toMatchObject({ malformed: true });
  });

  it("select-best: the first integer, within the outputs", () => {
    expect(selectBestIndex("The best is 1.", 2)).toBe(1);
    expect(selectBestIndex("2", 2)).toMatchObject({
      malformed: true,
      reason: "Invalid select-best verdict: 2",
    });
    expect(selectBestIndex("none", 2)).toMatchObject({
      malformed: true,
      reason: "Invalid select-best verdict: NaN",
    });
  });

  it("similar: cosine, dot and euclidean against the threshold, and not-similar", () => {
    const a = [1, 0];
    const b = [0.6, 0.8];
    expect(similarityOf(a, b, "cosine")).toBeCloseTo(0.6);
    expect(similarityOf(a, b, "dot_product")).toBeCloseTo(0.6);
    expect(similarityOf(a, b, "euclidean")).toBeCloseTo(Math.sqrt(0.16 + 0.64));
    expect(similarityVerdict(0.8, 0.75, false, "cosine")).toEqual({
      pass: true,
      score: 0.8,
      reason: "Similarity 0.80 is greater than or equal to threshold 0.75",
    });
    expect(similarityVerdict(0.8, 0.75, true, "cosine")).toMatchObject({
      pass: false,
      score: 0.19999999999999996,
    });
    expect(similarityVerdict(0.5, 1, false, "euclidean")).toEqual({
      pass: true,
      score: 1 / 1.5,
      reason: "Distance 0.50 is less than or equal to threshold 1",
    });
  });
});
