import { describe, expect, it } from "vitest";
import { conciseSchema } from "../../src/schema/concise-schema.js";

// Cases from simonw/llm's schema DSL (llm/utils.py `schema_dsl`, tests/test_utils.py).
describe("conciseSchema", () => {
  it("reads comma-separated fields, types and descriptions", () => {
    expect(conciseSchema("name, age int, bio: a one-line bio")).toEqual({
      type: "object",
      properties: {
        name: { type: "string" },
        age: { type: "integer" },
        bio: { type: "string", description: "a one-line bio" },
      },
      required: ["name", "age", "bio"],
      additionalProperties: false,
    });
  });

  it("splits on newlines when there is one, so a description may hold commas", () => {
    const schema = conciseSchema("name str: the name, as written\nscore float\nok bool: yes, or no\n");
    expect(schema.properties).toEqual({
      name: { type: "string", description: "the name, as written" },
      score: { type: "number" },
      ok: { type: "boolean", description: "yes, or no" },
    });
  });

  it("refuses an unknown type, a duplicate field and a field without a name", () => {
    expect(() => conciseSchema("age integer")).toThrow(
      'unknown type "integer" for field "age" (known: str, int, float, bool)',
    );
    expect(() => conciseSchema("a, b int, a")).toThrow('duplicate field "a"');
    expect(() => conciseSchema(": a description")).toThrow("has no name");
    expect(() => conciseSchema(" , ")).toThrow("names no field");
  });
});
