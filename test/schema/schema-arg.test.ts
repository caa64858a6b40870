import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { checkAnswer } from "../../src/schema/answer-check.js";
import { schemaFields, schemaResponseFormat } from "../../src/schema/response-format.js";
import { readSchemaArg } from "../../src/schema/schema-arg.js";
import { workDir } from "../e2e/cli.js";

const PERSON = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

describe("readSchemaArg", () => {
  it("reads inline JSON, a JSON file, or the concise form", () => {
    const dir = workDir();
    writeFileSync(join(dir, "person.json"), JSON.stringify(PERSON));
    expect(readSchemaArg(JSON.stringify(PERSON), dir)).toEqual({ schema: PERSON });
    expect(readSchemaArg("person.json", dir)).toEqual({ schema: PERSON, file: join(dir, "person.json") });
    expect(schemaFields(readSchemaArg("b, a int", dir).schema)).toEqual(["b", "a"]);
  });

  it("refuses what is not an object schema, naming the option", () => {
    const dir = workDir();
    writeFileSync(join(dir, "bad.json"), "{ nope");
    const refused = (value: string) => {
      try {
        readSchemaArg(value, dir);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused("bad.json")).toMatch(/^--schema bad\.json: not valid JSON/);
    expect(refused("missing.json")).toBe("--schema missing.json: cannot read the file (ENOENT)");
    expect(refused('{"type":"array"}')).toMatch(/must describe an object/);
    expect(refused('{"type":"object","properties":{"a":{"type":"strng"}}}')).toMatch(
      /not a valid JSON Schema/,
    );
    expect(refused('{"type":"object","propertes":{}}')).toMatch(
      /not a valid JSON Schema: strict mode: unknown keyword/,
    );
  });
});

describe("checkAnswer", () => {
  const request = {
    model: { provider: "mock", model: "echo" },
    messages: [{ role: "user" as const, content: "x" }],
    params: { response_format: schemaResponseFormat(PERSON) },
  };

  it("parses a valid answer, forgiving a Markdown fence", () => {
    expect(checkAnswer(request, '{"name":"Ada"}')).toEqual({ ok: true, json: { name: "Ada" } });
    expect(checkAnswer(request, '```json\n{"name":"Ada"}\n```')).toEqual({ ok: true, json: { name: "Ada" } });
  });

  it("says why an answer is not what was asked for", () => {
    expect(checkAnswer(request, "{}")).toEqual({
      ok: false,
      problem: "the answer does not match the schema: data must have required property 'name'",
    });
    expect(checkAnswer(request, "Ada")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^the answer is not JSON/),
    });
  });

  it("takes any answer when the request has no schema", () => {
    expect(checkAnswer({ ...request, params: {} }, "anything")).toEqual({ ok: true });
    expect(checkAnswer({ ...request, params: { response_format: { type: "json_object" } } }, "x")).toEqual({
      ok: true,
    });
  });
});
