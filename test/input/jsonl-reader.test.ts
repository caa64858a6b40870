import { describe, expect, it } from "vitest";
import { readJsonl } from "../../src/input/jsonl-reader.js";
import { collect, textStream } from "../support/streams.js";

const read = (text: string) => collect(readJsonl(textStream(text)));

describe("readJsonl", () => {
  it("yields one object per line with its 1-based line number, skipping blank lines", async () => {
    const rows = await read('{"a":1}\n\n   \n{"b":2}\n');
    expect(rows).toEqual([
      { kind: "json", line: 1, value: { a: 1 } },
      { kind: "json", line: 4, value: { b: 2 } },
    ]);
  });

  it("strips a byte-order mark and handles CRLF and a missing final newline", async () => {
    const rows = await read('\uFEFF{"a":1}\r\n{"b":"x"}');
    expect(rows).toEqual([
      { kind: "json", line: 1, value: { a: 1 } },
      { kind: "json", line: 2, value: { b: "x" } },
    ]);
  });

  it("reports malformed JSON at its line and keeps reading", async () => {
    const rows = await read('{"a":1}\n{"b": \n{"c":3}\n');
    expect(rows[0]).toMatchObject({ kind: "json", line: 1 });
    expect(rows[1]).toMatchObject({ kind: "problem", line: 2 });
    expect(rows[1]?.kind === "problem" && rows[1].message).toMatch(/^malformed JSON/);
    expect(rows[2]).toEqual({ kind: "json", line: 3, value: { c: 3 } });
  });

  it.each([
    ["[1,2]", "an array"],
    ['"text"', "a string"],
    ["42", "a number"],
    ["null", "null"],
    ["true", "a boolean"],
  ])("reports a line holding %s as not an object", async (line, got) => {
    const rows = await read(`{"ok":true}\n${line}\n`);
    expect(rows[1]).toEqual({ kind: "problem", line: 2, message: `expected a JSON object, got ${got}` });
  });

  it("counts lines correctly when the input arrives in small chunks", async () => {
    const text = `${Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, prompt: "é".repeat(i) })).join("\n")}\n`;
    const rows = await collect(readJsonl(textStream(text, 7)));
    expect(rows).toHaveLength(50);
    expect(rows[49]).toMatchObject({ kind: "json", line: 50, value: { id: 49 } });
  });

  describe("a JSON array of rows", () => {
    it("yields each row at the line it starts on, however the array is laid out", async () => {
      const text = '[\n  {"a": 1},\n  {"b": [1, {"c": "]},"}],\n   "d": "\\"quoted\\" ]"}, {"e": 5}\n]\n';
      expect(await read(text)).toEqual([
        { kind: "json", line: 2, value: { a: 1 } },
        { kind: "json", line: 3, value: { b: [1, { c: "]}," }], d: '"quoted" ]' } },
        { kind: "json", line: 4, value: { e: 5 } },
      ]);
      expect(await read('[{"a":1},{"b":2}]')).toEqual([
        { kind: "json", line: 1, value: { a: 1 } },
        { kind: "json", line: 1, value: { b: 2 } },
      ]);
    });

    it("reads an array behind blank lines and a byte-order mark, and an empty array as no rows", async () => {
      expect(await read('\uFEFF\n\n  [ {"a":1} ]\n')).toEqual([{ kind: "json", line: 3, value: { a: 1 } }]);
      expect(await read("[]\n")).toEqual([]);
    });

    it("reports a row that is not an object, or malformed, and reads on", async () => {
      const rows = await read('[\n1,\n{"a": },\n{"b":2}\n]');
      expect(rows).toEqual([
        { kind: "problem", line: 2, message: "expected a JSON object, got a number" },
        expect.objectContaining({
          kind: "problem",
          line: 3,
          message: expect.stringMatching(/^malformed JSON/),
        }),
        { kind: "json", line: 4, value: { b: 2 } },
      ]);
    });

    it.each([
      ['[{"a":1}\n', '1: the JSON array is never closed (no "]")'],
      ['[{"a":1},\n{"b":\n', "2: the row starting here never ends (the JSON array is cut short)"],
      ['[{"a":1} {"b":2}]', '1: expected "," or "]" after the row, got "{"'],
      ['[{"a":1},,{"b":2}]', '1: unexpected "," in the array: a row is missing'],
      ['[{"a":1}]\n{"b":2}\n', '2: unexpected text after the array\'s closing "]"'],
    ])("reports the structure of %j", async (text, expected) => {
      const problems = (await read(text)).filter((row) => row.kind === "problem");
      expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([expected]);
    });
  });
});
