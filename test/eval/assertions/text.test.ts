import { describe, expect, it } from "vitest";
import { runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

const grade = (type: string, value: unknown, output: string, vars: Record<string, unknown> = {}) =>
  runAssertion({ type, value }, contextFor(output, { vars }));

// promptfoo test/assertions/equals.test.ts; docs site/docs/configuration/expected-outputs/deterministic.md#equality
describe("equals", () => {
  it("compares text exactly, with promptfoo's reasons for equals and not-equals", async () => {
    expect(await grade("equals", "hello world", "hello world")).toEqual({
      pass: true,
      score: 1,
      reason: "Assertion passed",
      assertion: { type: "equals", value: "hello world" },
    });
    expect(await grade("equals", "goodbye world", "hello world")).toMatchObject({
      pass: false,
      score: 0,
      reason: 'Expected output "hello world" to equal "goodbye world"',
    });
    expect(await grade("not-equals", "hello world", "hello world")).toMatchObject({
      pass: false,
      score: 0,
      reason: 'Expected output "hello world" to not equal "hello world"',
    });
    expect(await grade("not-equals", "goodbye world", "hello world")).toMatchObject({ pass: true, score: 1 });
  });

  it("renders the value with the test's vars", async () => {
    expect(await grade("equals", "{{ city }}", "Paris", { city: "Paris" })).toMatchObject({ pass: true });
  });

  it("compares a number as text and is not lenient about whitespace or case", async () => {
    expect(await grade("equals", 42, "42")).toMatchObject({ pass: true });
    expect(await grade("equals", "Paris", "Paris\n")).toMatchObject({ pass: false });
    expect(await grade("equals", "Paris", "paris")).toMatchObject({ pass: false });
  });

  it("compares an object value with the output parsed as JSON, key order aside", async () => {
    expect(await grade("equals", { foo: "bar", n: 1 }, '{"n": 1, "foo":"bar"}')).toMatchObject({
      pass: true,
    });
    expect(await grade("equals", { foo: "bar" }, '{"foo":"baz"}')).toMatchObject({
      pass: false,
      reason: 'Expected output "{"foo":"baz"}" to equal "{"foo":"bar"}"',
    });
    // Output that is not JSON equals no object: equals fails and not-equals passes.
    expect(await grade("equals", { foo: "bar" }, "hello world")).toMatchObject({ pass: false });
    expect(await grade("not-equals", { foo: "bar" }, "hello world")).toMatchObject({ pass: true, score: 1 });
    expect(await grade("equals", [1, 2], "[1,2]")).toMatchObject({ pass: true });
  });
});

// promptfoo test/assertions/contains.test.ts; docs deterministic.md#contains
describe("contains and icontains", () => {
  it("finds a substring, case-sensitively or not", async () => {
    expect(await grade("contains", "world", "hello world")).toMatchObject({
      pass: true,
      reason: "Assertion passed",
    });
    expect(await grade("contains", "universe", "hello world")).toMatchObject({
      pass: false,
      score: 0,
      reason: 'Expected output to contain "universe"',
    });
    expect(await grade("contains", "WORLD", "hello world")).toMatchObject({ pass: false });
    expect(await grade("icontains", "WoRlD", "Hello WORLD")).toMatchObject({ pass: true, score: 1 });
  });

  it("negates with not-, saying so", async () => {
    expect(await grade("not-contains", "universe", "hello world")).toMatchObject({ pass: true, score: 1 });
    expect(await grade("not-contains", "world", "hello world")).toMatchObject({
      pass: false,
      reason: 'Expected output to not contain "world"',
    });
    expect(await grade("not-icontains", "WORLD", "hello world")).toMatchObject({
      pass: false,
      reason: 'Expected output to not contain "WORLD"',
    });
  });

  it("takes the number 0 as the text 0", async () => {
    expect(await grade("contains", 0, "There are 0 errors")).toMatchObject({ pass: true });
    expect(await grade("icontains", 0, "no digits here")).toMatchObject({
      pass: false,
      reason: 'Expected output to contain "0"',
    });
  });

  it("cannot be evaluated without a value", async () => {
    expect(await grade("contains", undefined, "hello")).toMatchObject({
      pass: false,
      error: true,
      reason: '"contains" assertion type must have a string or number value',
    });
  });
});

// promptfoo test/assertions/contains.test.ts (handleContainsAny/All); docs deterministic.md#contains-any
describe("contains-any, contains-all and their i- forms", () => {
  it("accepts a list", async () => {
    expect(await grade("contains-any", ["world", "universe"], "hello world")).toMatchObject({ pass: true });
    expect(await grade("contains-any", ["moon", "universe"], "hello world")).toMatchObject({
      pass: false,
      reason: 'Expected output to contain one of "moon, universe"',
    });
    expect(await grade("contains-all", ["hello", "world"], "hello world")).toMatchObject({ pass: true });
    expect(await grade("contains-all", ["hello", "moon", "sun"], "hello world")).toMatchObject({
      pass: false,
      reason: "Expected output to contain all of [hello, moon, sun]. Missing: [moon, sun]",
    });
    expect(await grade("icontains-all", ["HELLO", "World"], "hello world")).toMatchObject({ pass: true });
    expect(await grade("icontains-any", ["MOON", "WORLD"], "hello world")).toMatchObject({ pass: true });
  });

  it("reads a string as comma-separated values, quotes keeping their commas", async () => {
    expect(await grade("contains-any", "world,universe", "hello world")).toMatchObject({ pass: true });
    expect(await grade("contains-any", '"hello, world",universe', "hello, world")).toMatchObject({
      pass: true,
    });
    expect(
      await grade(
        "contains-any",
        '"hello, dear world", "goodbye, universe", simple',
        "hello, dear world is here",
      ),
    ).toMatchObject({ pass: true });
    // "a""b" is the value a"b, not the values a and b.
    expect(await grade("contains-any", '"a""b",c', 'a"b')).toMatchObject({ pass: true });
    expect(await grade("contains-any", '"a""b",c', "b")).toMatchObject({ pass: false });
    // \" inside quotes is a quote: the first value is hello"world,test
    expect(await grade("contains-any", '"hello\\"world,test", "another,test"', "another,test")).toMatchObject(
      {
        pass: true,
      },
    );
    // "1,000" from the docs: a comma inside a value needs quotes in the string form, else it splits.
    const text = "order 1: 000 left, in stock";
    expect(await grade("contains-all", '"1,000", in stock', text)).toMatchObject({
      pass: false,
      reason: "Expected output to contain all of [1,000, in stock]. Missing: [1,000]",
    });
    expect(await grade("contains-all", "1,000, in stock", text)).toMatchObject({ pass: true });
  });

  it("refuses a malformed quoted string instead of passing", async () => {
    expect(await grade("contains-any", '"test', "test")).toMatchObject({
      pass: false,
      error: true,
      reason: "Unterminated quoted field in contains assertion value",
    });
    expect(await grade("contains-any", '"hello" world', "hello world")).toMatchObject({
      error: true,
      reason: "Expected comma after quoted field in contains assertion value",
    });
  });

  it("negates with not-", async () => {
    expect(await grade("not-contains-any", ["moon", "world"], "hello world")).toMatchObject({
      pass: false,
      reason: 'Expected output to not contain one of "moon, world"',
    });
    // not-contains-all passes when at least one value is missing.
    expect(await grade("not-contains-all", ["hello", "moon"], "hello world")).toMatchObject({ pass: true });
    expect(await grade("not-contains-all", ["hello", "world"], "hello world")).toMatchObject({
      pass: false,
      reason: "Expected output to not contain all of [hello, world]. Missing: []",
    });
  });

  it("renders each listed value with the vars", async () => {
    expect(await grade("contains-all", ["{{ a }}", "world"], "hello world", { a: "hello" })).toMatchObject({
      pass: true,
    });
  });
});

// promptfoo src/assertions/startsWith.ts and regex.ts; docs deterministic.md#starts-with and #regex
describe("starts-with and regex", () => {
  it("starts-with", async () => {
    expect(await grade("starts-with", "Yes", "Yes, it is")).toMatchObject({ pass: true });
    expect(await grade("starts-with", "Yes", "No")).toMatchObject({
      pass: false,
      reason: 'Expected output to start with "Yes"',
    });
    expect(await grade("not-starts-with", "Yes", "Yes")).toMatchObject({
      pass: false,
      reason: 'Expected output to not start with "Yes"',
    });
  });

  it("regex matches anywhere, without flags", async () => {
    expect(await grade("regex", "\\d{4}", "in 2024")).toMatchObject({ pass: true });
    expect(await grade("regex", "^Hello.*world$", "Hello big world")).toMatchObject({ pass: true });
    expect(await grade("regex", "^hello", "Hello")).toMatchObject({
      pass: false,
      reason: 'Expected output to match regex "^hello"',
    });
    expect(await grade("not-regex", "\\d", "a1")).toMatchObject({
      pass: false,
      reason: 'Expected output to not match regex "\\d"',
    });
  });

  it("fails on an invalid pattern with the engine's message, and does not throw", async () => {
    const result = await grade("regex", "[unclosed", "anything");
    expect(result).toMatchObject({ pass: false, score: 0 });
    expect(result.reason).toBe(
      "Invalid regex pattern: Invalid regular expression: /[unclosed/: Unterminated character class",
    );
    expect(result.error).toBeUndefined();
    // An invalid pattern fails not-regex too.
    expect(await grade("not-regex", "(", "x")).toMatchObject({ pass: false });
  });
});
