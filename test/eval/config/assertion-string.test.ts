import { describe, expect, it } from "vitest";
import { assertionFromString } from "../../../src/eval/config/assertion-string.js";

// Cases from promptfoo's test/csv.test.ts (assertionFromString) and its contains-value parser tests.
describe("assertionFromString (a CSV __expected cell)", () => {
  it("is equals with the whole text when no type is named", () => {
    expect(assertionFromString("Expected output")).toEqual({ type: "equals", value: "Expected output" });
    expect(assertionFromString("file://script.pyi")).toEqual({ type: "equals", value: "file://script.pyi" });
  });

  it("reads type:value and not-type:value", () => {
    expect(assertionFromString("contains:substring")).toEqual({ type: "contains", value: "substring" });
    expect(assertionFromString("not-contains:substring")).toEqual({
      type: "not-contains",
      value: "substring",
    });
    expect(assertionFromString("regex:\\d+")).toEqual({ type: "regex", value: "\\d+" });
    expect(assertionFromString("not-icontains:substring")).toEqual({
      type: "not-icontains",
      value: "substring",
    });
    expect(assertionFromString("starts-with:Expected")).toEqual({
      type: "starts-with",
      value: "Expected",
      threshold: 0.75,
    });
    expect(assertionFromString("webhook:https://example.com")).toEqual({
      type: "webhook",
      value: "https://example.com",
    });
    expect(assertionFromString("is-json")).toEqual({ type: "is-json" });
  });

  it("keeps is-json and contains-json values as written", () => {
    expect(assertionFromString("is-json:\n  required: ['color']\n")).toEqual({
      type: "is-json",
      value: "\n  required: ['color']\n",
    });
  });

  it("reads type(threshold):value; threshold types default to 0.75 (0.8 for similar), others to none", () => {
    expect(assertionFromString("similar(0.9):Expected output")).toEqual({
      type: "similar",
      value: "Expected output",
      threshold: 0.9,
    });
    expect(assertionFromString("similar:Expected output")).toEqual({
      type: "similar",
      value: "Expected output",
      threshold: 0.8,
    });
    expect(assertionFromString("levenshtein(5):Expected output")).toEqual({
      type: "levenshtein",
      value: "Expected output",
      threshold: 5,
    });
    expect(assertionFromString("rouge-n:foo")).toEqual({ type: "rouge-n", value: "foo", threshold: 0.75 });
    expect(assertionFromString("not-rouge-n(0.225):foo")).toEqual({
      type: "not-rouge-n",
      value: "foo",
      threshold: 0.225,
    });
    expect(assertionFromString("latency(1000)")).toEqual({ type: "latency", threshold: 1000 });
    expect(assertionFromString("cost(0.001)")).toEqual({ type: "cost", threshold: 0.001 });
    expect(assertionFromString("bleu(0.3):Expected output")).toEqual({
      type: "bleu",
      value: "Expected output",
      threshold: 0.3,
    });
    expect(assertionFromString("bleu:Expected output")).toStrictEqual({
      type: "bleu",
      value: "Expected output",
    });
    expect(assertionFromString("levenshtein(0):x")).toEqual({
      type: "levenshtein",
      value: "x",
      threshold: 0,
    });
  });

  it("reads colon-qualified types whole, not as a shorter type", () => {
    expect(assertionFromString("similar:cosine:The expected output")).toEqual({
      type: "similar:cosine",
      value: "The expected output",
    });
    expect(assertionFromString("similar:dot(0.8):The expected output")).toEqual({
      type: "similar:dot",
      value: "The expected output",
      threshold: 0.8,
    });
    expect(assertionFromString("trajectory:tool-used:search")).toEqual({
      type: "trajectory:tool-used",
      value: "search",
    });
    expect(assertionFromString("similar:cosine similarity text")).toEqual({
      type: "similar",
      value: "cosine similarity text",
      threshold: 0.8,
    });
  });

  it("reads javascript:, fn:, eval: and grade:/llm-rubric: prefixes", () => {
    expect(assertionFromString("fn:output === 'x'")).toEqual({ type: "javascript", value: "output === 'x'" });
    expect(assertionFromString("javascript: x > 10")).toEqual({ type: "javascript", value: "x > 10" });
    expect(assertionFromString("eval:output.length")).toEqual({ type: "javascript", value: "output.length" });
    expect(assertionFromString("file://checks/answer.js")).toEqual({
      type: "javascript",
      value: "file://checks/answer.js",
    });
    expect(assertionFromString("grade:Evaluate clarity")).toEqual({
      type: "llm-rubric",
      value: "Evaluate clarity",
    });
    expect(assertionFromString("llm-rubric:Rate it")).toEqual({ type: "llm-rubric", value: "Rate it" });
  });

  it("reads python: and file://….py[:function] references, the extension in any case", () => {
    expect(assertionFromString("python: file://file.py ")).toEqual({
      type: "python",
      value: "file://file.py",
    });
    for (const python of [
      "file://script.PY",
      "file://C:/path/script.PY",
      "file://path:with:colons/script.py",
      "file://fixtures#1/script.PY",
      "file://C#/script.PY:fn",
      "file://script.PY:Class.py",
    ]) {
      expect(assertionFromString(python)).toEqual({ type: "python", value: python });
    }
    for (const lookalike of [
      "file://script.py.bak",
      "file://dir.py:segment/readme.txt",
      "file://script.py?raw=1",
      "file://note.txt#handler.PY",
      "file://script.js:Class.py",
      "file://script.py:",
      "file://script.py:fn:extra",
      "http://script.py",
    ]) {
      expect(assertionFromString(lookalike)).toEqual({ type: "equals", value: lookalike });
    }
  });

  it("parses list values with quotes, escapes and repeated commas", () => {
    expect(assertionFromString("contains-any:substring1,substring2")).toEqual({
      type: "contains-any",
      value: ["substring1", "substring2"],
    });
    expect(assertionFromString('contains-all:"say \\"hello, world\\"","a ""quoted"" value", plain')).toEqual({
      type: "contains-all",
      value: ['say "hello, world"', 'a "quoted" value', "plain"],
    });
    expect(assertionFromString("icontains-any: alpha, , beta,, ").value).toEqual(["alpha", "beta"]);
    expect(() => assertionFromString('icontains-any:"unterminated')).toThrow(
      "Unterminated quoted field in contains assertion value",
    );
    expect(() => assertionFromString('contains-all:"hello"world')).toThrow(
      "Expected comma after quoted field in contains assertion value",
    );
  });
});
