import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { InputError } from "../../src/core/errors.js";
import type { Item } from "../../src/core/types.js";
import type { InputFormat } from "../../src/input/format.js";
import { ProblemList } from "../../src/input/problem-list.js";
import { readItems } from "../../src/input/read-items.js";
import type { RowDefaults } from "../../src/input/row-to-request.js";
import { compileTemplate } from "../../src/input/template.js";
import { collect, textSource } from "../support/streams.js";

const ECHO = { provider: "mock", model: "echo" };

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

  it("explains an explicit id that is another row's row number, and the other way round", async () => {
    const explicitLater = await read("in.jsonl", jsonl({ prompt: "first" }, { id: "1", prompt: "second" }));
    expect(explicitLater.messages).toEqual([
      'in.jsonl:2: id "1" is also the id of line 1, which has no id and so is named by its row number: give every row an id, or none',
    ]);
    const numberedLater = await read("in.jsonl", jsonl({ id: "2", prompt: "first" }, { prompt: "second" }));
    expect(numberedLater.messages).toEqual([
      "in.jsonl:2: this row has no id, so its id is its row number, 2 — which line 1 has as its id: give every row an id, or none",
    ]);
  });

  it("still calls two explicit ids that clash a duplicate, even where one looks like a row number", async () => {
    const { messages } = await read(
      "in.jsonl",
      jsonl({ id: "3", prompt: "a" }, { prompt: "b" }, { prompt: "c" }, { id: "3", prompt: "d" }),
    );
    expect(messages).toEqual([
      "in.jsonl:3: this row has no id, so its id is its row number, 3 — which line 1 has as its id: give every row an id, or none",
      'in.jsonl:4: duplicate id "3" (first at line 1)',
    ]);
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
    expect(messages).toEqual([
      't.csv:2: template field "missing" is missing from every row (1 row); rows have: id, text',
    ]);
  });

  it("names a misspelled field once for all the rows that lack it, with a suggestion", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},text ${i}`).join("\n");
    const { messages, error } = await read("t.csv", `id,text\n${rows}\n`, {
      template: compileTemplate("{{txt}}"),
    });
    expect(messages).toEqual([
      't.csv:2: template field "txt" is missing from every row (50 rows); rows have: id, text — did you mean "text"?',
    ]);
    expect(error?.total).toBe(1);
  });

  it("says which rows lack a field some rows have, in its place among the other problems", async () => {
    const { messages } = await read(
      "t.jsonl",
      jsonl(
        { text: "a", lang: "en" },
        { text: "b" },
        { prompt: 1 },
        { text: "c" },
        { text: "d", lang: "fr" },
      ),
      { template: compileTemplate("{{text}} in {{lang}}") },
    );
    expect(messages).toEqual([
      't.jsonl:2: template field "lang" is missing from 2 of 5 rows (lines 2, 4); the first has: text',
      't.jsonl:3: template field "text" is missing from 1 of 5 rows (line 3); that row has: prompt',
    ]);
  });

  it("suggests the nearest nested field for a dotted path", async () => {
    const { messages } = await read("t.jsonl", jsonl({ user: { name: "Ann" } }), {
      template: compileTemplate("{{user.nmae}}"),
    });
    expect(messages).toEqual([
      't.jsonl:1: template field "user.nmae" is missing from every row (1 row); rows have: user — did you mean "user.name"?',
    ]);
  });

  it("reads a JSON array of rows, each at the line it starts on", async () => {
    const { items, error } = await read("in.jsonl", '[\n{"id":"a","prompt":"1"},\n{"prompt":\n"2"}]\n');
    expect(error).toBeUndefined();
    expect(items.map((i) => [i.id, i.line])).toEqual([
      ["a", 2],
      ["2", 3],
    ]);
  });

  it("reports the first byte that is not UTF-8 once, at its line, and reads on", async () => {
    const format = "csv";
    const problems = new ProblemList();
    const bytes = Buffer.from("id,prompt\n1,ok\n2,Jos\xe9\n3,Ren\xe9\n4,\n", "latin1");
    const source = { name: "x.csv", path: "x.csv", format, open: () => Readable.from([bytes]) } as const;
    const items = await collect(readItems(source, { defaults: { model: ECHO, params: {} }, problems }));
    expect(items).toHaveLength(3);
    expect(() => problems.throwIfAny()).toThrow(
      /^x\.csv:3: not valid UTF-8 \(byte 0xE9 after "2,Jos"\): .*\nx\.csv:5: empty prompt$/s,
    );
  });

  it("decodes the input from --encoding", async () => {
    const problems = new ProblemList();
    const bytes = Buffer.from("id,prompt\n1,Jos\xe9\n", "latin1");
    const source = {
      name: "x.csv",
      path: "x.csv",
      format: "csv",
      encoding: "windows-1252",
      open: () => Readable.from([bytes]),
    } as const;
    const items = await collect(readItems(source, { defaults: { model: ECHO, params: {} }, problems }));
    problems.throwIfAny();
    expect(items.map((i) => i.request.messages.at(-1)?.content)).toEqual(["José"]);
  });

  it("refuses a UTF-16 file as a whole, without calling it empty", async () => {
    for (const [name, format] of [
      ["w.jsonl", "jsonl"],
      ["w.csv", "csv"],
    ] as const) {
      const problems = new ProblemList();
      const bytes = Buffer.from(format === "csv" ? "id,prompt\n1,hi\n" : '{"prompt":"hi"}\n', "utf16le");
      const source = { name, path: name, format, open: () => Readable.from([bytes]) };
      expect(await collect(readItems(source, { defaults: { model: ECHO, params: {} }, problems }))).toEqual(
        [],
      );
      expect(() => problems.throwIfAny()).toThrow(
        new RegExp(
          `^${name.replace(".", "\\.")}: the file is UTF-16 little-endian \\(NUL bytes beside each character\\), not UTF-8: give --encoding utf-16le, or convert it: iconv -f UTF-16LE -t UTF-8 ${name.replace(".", "\\.")} > `,
        ),
      );
    }
  });

  it("reads a CSV with the source's delimiter, and names the delimiter a one-column header hides", async () => {
    const text = "id;prompt\n1;hello, world\n";
    const semicolon = await collect(
      readItems(
        { ...textSource("s.csv", "csv", text), delimiter: ";" },
        { defaults: { model: ECHO, params: {} }, problems: new ProblemList() },
      ),
    );
    expect(semicolon.map((i) => i.columns)).toEqual([["1", "hello, world"]]);
    const { messages } = await read("s.csv", text);
    expect(messages).toEqual([
      `s.csv:1: the header is one column, "id;prompt": the file looks ';'-delimited; give --delimiter ';'`,
    ]);
  });

  it("refuses a row the request check refuses, at its line", async () => {
    const { items, messages } = await read("c.jsonl", jsonl({ prompt: "short" }, { prompt: "too long" }), {
      checkRequest: async (request) =>
        request.messages.some((m) => m.content === "too long") ? "the prompt is too long" : undefined,
    });
    expect(items).toHaveLength(1);
    expect(messages).toEqual(["c.jsonl:2: the prompt is too long"]);
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
