import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, filesNamed, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

interface BadInput {
  name: string;
  file: string;
  /** The file's content; none means the file does not exist. */
  content?: string;
  args?: string[];
  /** The line metasync must print on stderr (after `metasync: `). */
  expected: string | RegExp;
}

const CASES: BadInput[] = [
  {
    name: "malformed JSON",
    file: "in.jsonl",
    content: '{"prompt":"fine"}\n{"prompt": "no closing brace"\n',
    expected: /^in\.jsonl:2: malformed JSON: /,
  },
  {
    name: "a ragged CSV row",
    file: "in.csv",
    content: 'id,text\n1,"fine, quoted"\n2,too,many,fields\n',
    args: ["-t", "{{text}}"],
    expected: "in.csv:3: row has 4 fields, the header has 2",
  },
  {
    name: "an unclosed CSV quote",
    file: "in.csv",
    content: 'id,text\n1,fine\n2,"never closed\n3,more\n',
    args: ["-t", "{{text}}"],
    expected: "in.csv:3: malformed CSV: a quoted field in this row is never closed",
  },
  {
    name: "an empty prompt",
    file: "in.jsonl",
    content: '{"prompt":"fine"}\n\n{"prompt":"   "}\n',
    expected: "in.jsonl:3: empty prompt",
  },
  {
    name: "an unknown role",
    file: "in.jsonl",
    content: '{"messages":[{"role":"wizard","content":"cast a spell"}]}\n',
    expected: /^in\.jsonl:1: message 1 has unknown role "wizard"/,
  },
  {
    name: "a missing template field",
    file: "in.csv",
    content: "id,text\nr1,hello\n",
    args: ["-t", "{{text}} in {{language}}"],
    expected: 'in.csv:2: template field "language" is missing from every row (1 row); rows have: id, text',
  },
  {
    name: "duplicate ids",
    file: "in.jsonl",
    content: '{"id":"a","prompt":"x"}\n{"id":"b","prompt":"y"}\n{"id":"a","prompt":"z"}\n',
    expected: 'in.jsonl:3: duplicate id "a" (first at line 1)',
  },
  {
    name: "a row naming an unknown provider",
    file: "in.jsonl",
    content: '{"prompt":"hi","model":"mock:echo"}\n{"prompt":"hi","model":"acme:gpt-9"}\n',
    args: [],
    expected: /^in\.jsonl:2: unknown provider "acme"/,
  },
  {
    name: "a row naming an unknown mock model",
    file: "in.jsonl",
    content: '{"prompt":"hi","model":"mock:parrot"}\n',
    expected: /^in\.jsonl:1: unknown mock model "parrot"/,
  },
  {
    name: "an unknown provider in --model",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n',
    args: ["-m", "acme:gpt-9"],
    expected: /^--model acme:gpt-9: unknown provider "acme"/,
  },
  {
    name: "an unknown mock model in --model",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n',
    args: ["-m", "mock:parrot"],
    expected: /^--model mock:parrot: unknown mock model "parrot"/,
  },
  {
    name: "an empty file",
    file: "empty.jsonl",
    content: "",
    expected: "empty.jsonl: no rows to process (the input is empty)",
  },
  {
    name: "a missing file",
    file: "missing.jsonl",
    expected: "missing.jsonl: no such file",
  },
];

describe.concurrent("bad input stops the run before anything is sent (exit 2)", () => {
  it.each(CASES)("$name", async ({ file, content, args = ["-m", "mock:echo"], expected }) => {
    const cwd = workDir();
    if (content !== undefined) writeFileSync(join(cwd, file), content);
    const result = await runCli(["run", file, ...args, "-o", "results.jsonl"], { cwd });

    expect(result.code, result.stderr).toBe(2);
    const messages = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("metasync: "))
      .map((line) => line.slice("metasync: ".length));
    if (typeof expected === "string") expect(messages).toContain(expected);
    else
      expect(
        messages.some((m) => expected.test(m)),
        result.stderr,
      ).toBe(true);
    // A user error is one line per problem, without a stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
    expect(filesNamed(cwd, "results")).toEqual([]);
  });

  it("reports every bad row at once, each with its line", async () => {
    const cwd = workDir();
    writeFileSync(
      join(cwd, "in.jsonl"),
      [
        '{"id":"1","prompt":"fine"}',
        '{"id":"2","prompt":""}',
        "not json",
        '{"id":"4","messages":[{"role":"robot","content":"x"}]}',
        '{"id":"1","prompt":"again"}',
      ].join("\n"),
    );
    const result = await runCli(["run", "in.jsonl", "-m", "mock:echo", "-o", "results.jsonl"], { cwd });
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.split("\n").filter((line) => /^metasync: in\.jsonl:\d+: /.test(line));
    expect(lines.map((line) => line.match(/in\.jsonl:(\d+):/)?.[1])).toEqual(["2", "3", "4", "5"]);
    expect(filesNamed(cwd, "results")).toEqual([]);
  });

  it("writes nothing to stdout when results would have gone there", async () => {
    const cwd = workDir();
    const result = await runCli(["run", "-", "-m", "mock:echo"], {
      cwd,
      stdin: '{"prompt":"fine"}\n{"prompt":""}\n',
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("metasync: <stdin>:2: empty prompt");
  });
});
