import { describe, expect, it } from "vitest";
import type { InputError } from "../../src/core/errors.js";
import type { Item } from "../../src/core/types.js";
import type { InputFormat } from "../../src/input/format.js";
import { ProblemList } from "../../src/input/problem-list.js";
import { readItems } from "../../src/input/read-items.js";
import type { RowDefaults } from "../../src/input/row-to-request.js";
import { compileTemplate } from "../../src/input/template.js";
import { collect, textSource } from "../support/streams.js";

async function read(name: string, text: string, defaults: Partial<RowDefaults> = {}, limit?: number) {
  const format = name.split(".").pop() as InputFormat;
  const problems = new ProblemList(limit);
  let header: readonly string[] | undefined;
  const items: Item[] = await collect(
    readItems(textSource(name, format, text), {
      defaults: { model: { provider: "mock", model: "echo" }, params: {}, ...defaults },
      problems,
      onHeader: (h) => {
        header = h;
      },
    }),
  );
  let error: InputError | undefined;
  try {
    problems.throwIfAny();
  } catch (thrown) {
    error = thrown as InputError;
  }
  return { items, error, header, messages: error?.message.split("\n") ?? [] };
}

const jsonl = (...rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

describe("readItems", () => {
  it("yields items in input order with their ids, lines and positions", async () => {
    const { items, error } = await read(
      "in.jsonl",
      jsonl(
        { custom_id: "a", prompt: "1" },
        { id: 7, prompt: "2" },
        { request_id: "r", prompt: "3" },
        { prompt: "4" },
      ),
    );
    expect(error).toBeUndefined();
    expect(items.map((i) => [i.index, i.id, i.line])).toEqual([
      [0, "a", 1],
      [1, "7", 2],
      [2, "r", 3],
      [3, "4", 4],
    ]);
  });

  it("uses the 1-based row number as the id of a row without one, not counting blank lines", async () => {
    const { items } = await read("in.jsonl", '{"prompt":"a"}\n\n{"prompt":"b"}\n');
    expect(items.map((i) => [i.id, i.line])).toEqual([
      ["1", 1],
      ["2", 3],
    ]);
  });

  it("takes CSV ids from an id column, else the row number, and keeps the row's values", async () => {
    const { items, header } = await read("in.csv", "id,prompt\nx,Hello\n,World\n");
    expect(header).toEqual(["id", "prompt"]);
    expect(items.map((i) => [i.id, i.line, i.columns])).toEqual([
      ["x", 2, ["x", "Hello"]],
      ["2", 3, ["", "World"]],
    ]);
  });

  it("reports a duplicate id at its line, naming the line of the first", async () => {
    const { items, messages } = await read(
      "in.jsonl",
      jsonl({ id: "a", prompt: "x" }, { id: "b", prompt: "y" }, { id: "a", prompt: "z" }),
    );
    expect(messages).toEqual(['in.jsonl:3: duplicate id "a" (first at line 1)']);
    expect(items.map((i) => i.id)).toEqual(["a", "b"]);
  });

  it("reports a duplicate CSV id with the lines the rows start on", async () => {
    const { messages } = await read("in.csv", 'id,prompt\nx,"two\nlines"\nx,again\n');
    expect(messages).toEqual(['in.csv:4: duplicate id "x" (first at line 2)']);
  });

  it("reports an explicit id that collides with another row's row number", async () => {
    const { messages } = await read("in.jsonl", jsonl({ prompt: "first" }, { id: "1", prompt: "second" }));
    expect(messages).toEqual(['in.jsonl:2: duplicate id "1" (first at line 1)']);
  });

  it("reports every bad row in one pass, each with its line", async () => {
    const text = [
      '{"prompt":"ok"}',
      "{not json",
      '{"prompt":""}',
      '{"messages":[{"role":"robot","content":"x"}]}',
      "[1]",
      '{"prompt":"ok too"}',
    ].join("\n");
    const { messages } = await read("bad.jsonl", text);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatch(/^bad\.jsonl:2: malformed JSON/);
    expect(messages[1]).toBe("bad.jsonl:3: empty prompt");
    expect(messages[2]).toMatch(/^bad\.jsonl:4: message 1 has unknown role "robot"/);
    expect(messages[3]).toBe("bad.jsonl:5: expected a JSON object, got an array");
  });

  it("shows at most the limit of problems and says how many more there were", async () => {
    const text = jsonl(...Array.from({ length: 30 }, () => ({ prompt: "" })));
    const { error, messages } = await read("many.jsonl", text, {}, 5);
    expect(error?.total).toBe(30);
    expect(messages).toHaveLength(6);
    expect(messages.at(-1)).toBe("… and 25 more problems");
  });

  it("reports a template field missing from a CSV row at that row's line", async () => {
    const { messages } = await read("t.csv", "id,text\na,hello\n", {
      template: compileTemplate("{{text}} {{missing}}"),
    });
    expect(messages).toEqual(['t.csv:2: template field "missing" is missing from this row']);
  });

  it("asks for --template when a CSV has no prompt column", async () => {
    const { items, messages } = await read("r.csv", "id,text\na,hello\n");
    expect(items).toEqual([]);
    expect(messages).toEqual([
      'r.csv:1: no "prompt" column; give --template to build prompts from the columns (id, text)',
    ]);
  });

  it.each([
    ["empty.jsonl", ""],
    ["blank.jsonl", "\n\n  \n"],
    ["empty.csv", ""],
    ["header-only.csv", "id,prompt\n"],
  ])("reports %s as having no rows", async (name, text) => {
    const { items, messages } = await read(name, text);
    expect(items).toEqual([]);
    expect(messages).toEqual([`${name}: no rows to process (the input is empty)`]);
  });
});
