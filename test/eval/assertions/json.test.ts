import { describe, expect, it } from "vitest";
import { runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

const grade = (type: string, value: unknown, output: string, env?: Record<string, string>) =>
  runAssertion(value === undefined ? { type } : { type, value }, contextFor(output, { env }));

// The schema of promptfoo's docs, site/docs/configuration/expected-outputs/deterministic.md#is-json
const LAT_LONG = {
  required: ["latitude", "longitude"],
  type: "object",
  properties: {
    latitude: { minimum: -90, type: "number", maximum: 90 },
    longitude: { minimum: -180, type: "number", maximum: 180 },
  },
};

// promptfoo src/assertions/json.ts, test/assertions/json.test.ts; docs deterministic.md#is-json
describe("is-json", () => {
  it("passes only when the whole output is JSON", async () => {
    expect(await grade("is-json", undefined, '{"a": 1}')).toMatchObject({ pass: true, score: 1 });
    expect(await grade("is-json", undefined, "[1, 2]")).toMatchObject({ pass: true });
    expect(await grade("is-json", undefined, 'Here: {"a": 1}')).toEqual({
      pass: false,
      score: 0,
      reason: "Expected output to be valid JSON",
      assertion: { type: "is-json" },
    });
    expect(await grade("not-is-json", undefined, "plain text")).toMatchObject({ pass: true, score: 1 });
    expect(await grade("not-is-json", undefined, "{}")).toMatchObject({
      pass: false,
      reason: "Expected output to be valid JSON",
    });
  });

  it("validates against a JSON Schema with Ajv's own error text", async () => {
    expect(await grade("is-json", LAT_LONG, '{"latitude": 48.8, "longitude": 2.3}')).toMatchObject({
      pass: true,
    });
    expect(await grade("is-json", LAT_LONG, '{"latitude": 48.8}')).toEqual({
      pass: false,
      score: 0,
      reason:
        "JSON does not conform to the provided schema. Errors: data must have required property 'longitude'",
      assertion: { type: "is-json", value: LAT_LONG },
    });
    expect(await grade("is-json", LAT_LONG, '{"latitude": 100, "longitude": 2}')).toMatchObject({
      pass: false,
      reason: "JSON does not conform to the provided schema. Errors: data/latitude must be <= 90",
    });
  });

  it("reads a string schema as YAML or JSON", async () => {
    const yaml = "type: object\nrequired: [name]\nproperties:\n  name: {type: string}";
    expect(await grade("is-json", yaml, '{"name": "Ada"}')).toMatchObject({ pass: true });
    expect(await grade("is-json", JSON.stringify(LAT_LONG), '{"latitude": 1}')).toMatchObject({
      pass: false,
    });
  });

  it("checks formats with ajv-formats", async () => {
    const schema = { type: "object", properties: { email: { type: "string", format: "email" } } };
    expect(await grade("is-json", schema, '{"email": "a@example.com"}')).toMatchObject({ pass: true });
    expect(await grade("is-json", schema, '{"email": "nope"}')).toMatchObject({
      pass: false,
      reason: 'JSON does not conform to the provided schema. Errors: data/email must match format "email"',
    });
  });

  it("not-is-json with a schema passes for JSON that does not conform", async () => {
    expect(await grade("not-is-json", LAT_LONG, '{"latitude": 1}')).toMatchObject({ pass: true, score: 1 });
    expect(await grade("not-is-json", LAT_LONG, '{"latitude": 1, "longitude": 2}')).toMatchObject({
      pass: false,
      reason: "Output is JSON that conforms to the provided schema",
    });
  });

  it("cannot be evaluated with a schema Ajv rejects (strict mode, as promptfoo)", async () => {
    const result = await grade("is-json", { type: "object", exemple: 1 }, "{}");
    expect(result).toMatchObject({ pass: false, score: 0, error: true });
    expect(result.reason).toBe('Invalid JSON schema: strict mode: unknown keyword: "exemple"');
    // PROMPTFOO_DISABLE_AJV_STRICT_MODE lets unknown keywords through.
    const lenient = await grade("is-json", { type: "object", exemple: 1 }, "{}", {
      PROMPTFOO_DISABLE_AJV_STRICT_MODE: "true",
    });
    expect(lenient).toMatchObject({ pass: true });
  });

  it("does not compile the schema when the output is not JSON", async () => {
    expect(await grade("is-json", { type: "bogus" }, "not json")).toMatchObject({
      pass: false,
      reason: "Expected output to be valid JSON",
    });
  });
});

// promptfoo src/assertions/json.ts handleContainsJson, src/util/json.ts extractJsonObjects
describe("contains-json", () => {
  it("finds a JSON object inside other text", async () => {
    expect(await grade("contains-json", undefined, 'Sure! {"a": 1} Hope that helps.')).toMatchObject({
      pass: true,
      reason: "Assertion passed",
    });
    expect(await grade("contains-json", undefined, "no braces at all")).toEqual({
      pass: false,
      score: 0,
      reason: "Expected output to contain valid JSON",
      assertion: { type: "contains-json" },
    });
    expect(await grade("not-contains-json", undefined, "no braces at all")).toMatchObject({ pass: true });
  });

  it("is lenient as promptfoo's YAML-based extraction: comments, unquoted keys, unclosed braces", async () => {
    expect(await grade("contains-json", undefined, '```json\n{"a": 1, // note\n "b": 2}\n```')).toMatchObject(
      {
        pass: true,
      },
    );
    expect(await grade("contains-json", { required: ["a"] }, "result: {a: 1}")).toMatchObject({ pass: true });
    expect(await grade("contains-json", { required: ["b"] }, 'cut off: {"a": {"b": 1}')).toMatchObject({
      pass: false,
    });
    // A top-level array is not an object here; the objects inside it are.
    expect(await grade("contains-json", { required: ["id"] }, '[{"id": 1}]')).toMatchObject({ pass: true });
  });

  it("passes when any extracted object conforms to the schema", async () => {
    const output = 'first {"latitude": 500} then {"latitude": 1, "longitude": 2}';
    expect(await grade("contains-json", LAT_LONG, output)).toMatchObject({ pass: true });
    expect(await grade("contains-json", LAT_LONG, 'only {"latitude": 1}')).toMatchObject({
      pass: false,
      reason:
        "JSON does not conform to the provided schema. Errors: data must have required property 'longitude'",
    });
    expect(await grade("not-contains-json", LAT_LONG, output)).toMatchObject({
      pass: false,
      reason: "Output contains JSON conforming to the provided schema",
    });
  });
});
