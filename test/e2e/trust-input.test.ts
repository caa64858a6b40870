import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, filesNamed, jsonLines, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

interface Refused {
  name: string;
  file: string;
  content: string | Buffer;
  args: string[];
  /** The line metasync must print on stderr (after `metasync: `). */
  expected: string | RegExp;
}

const utf16le = (text: string, bom: boolean) =>
  Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(text, "utf16le")]);
const bigPrompt = "word ".repeat(140_000);

const REFUSED: Refused[] = [
  {
    name: "a Windows-1252 CSV (not UTF-8)",
    file: "in.csv",
    content: Buffer.from("id,name\n1,Ann\n2,Jos\xe9\n", "latin1"),
    args: ["-m", "mock:echo", "-t", "Hi {{name}}"],
    expected: /^in\.csv:3: not valid UTF-8 \(byte 0xE9 after "2,Jos"\): .*give --encoding cp1252/,
  },
  {
    name: "a NUL byte in a CSV field",
    file: "in.csv",
    content: "id,text\n1,fine\n2,a\0b\n",
    args: ["-m", "mock:echo", "-t", "{{text}}"],
    expected: "in.csv:3: a user message contains a NUL character (\\u0000)",
  },
  {
    name: "a UTF-16 JSONL file with a byte-order mark",
    file: "in.jsonl",
    content: utf16le('{"prompt":"hi"}\n', true),
    args: ["-m", "mock:echo"],
    expected:
      /^in\.jsonl: the file is UTF-16 little-endian \(it starts with a byte-order mark\), not UTF-8: give --encoding utf-16le/,
  },
  {
    name: "a UTF-16 CSV without a byte-order mark",
    file: "in.csv",
    content: utf16le("id,prompt\n1,hi\n", false),
    args: ["-m", "mock:echo"],
    expected: /^in\.csv: the file is UTF-16 little-endian \(NUL bytes beside each character\)/,
  },
  {
    name: "an unclosed placeholder",
    file: "in.csv",
    content: "id,text\n1,hi\n",
    args: ["-m", "mock:echo", "-t", "Say {{text"],
    expected: /^--template: "\{\{text" at column 5: this \{\{ is never closed by \}\}/,
  },
  {
    name: "a placeholder closed by one brace",
    file: "in.csv",
    content: "id,text\n1,hi\n",
    args: ["-m", "mock:echo", "-t", "{{ text }"],
    expected: /^--template: "\{\{ text \}" at column 1: this \{\{ is never closed/,
  },
  {
    name: "a filter in a placeholder",
    file: "in.csv",
    content: "id,text\n1,hi\n",
    args: ["-m", "mock:echo", "-t", "{{ x | upper }}"],
    expected:
      '--template: "{{ x | upper }}" at column 1: filters (|) are not supported; a placeholder is {{field}} or {{a.b}}',
  },
  {
    name: "an unknown content-part type",
    file: "in.jsonl",
    content: '{"messages":[{"role":"user","content":[{"type":"hologram"}]}]}\n',
    args: ["-m", "mock:echo"],
    expected: /^in\.jsonl:1: message 1, content part 1 has unknown type "hologram" \(known: text, image_url/,
  },
  {
    name: "a row's model with an unknown provider prefix",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n{"prompt":"hi","model":"nosuch:x"}\n',
    args: ["-m", "openai:gpt-4o-mini"],
    expected:
      /^in\.jsonl:2: unknown provider "nosuch" in model "nosuch:x" \(known: mock, openai, anthropic\)/,
  },
  {
    name: "a concurrency of a billion",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n',
    args: ["-m", "mock:echo", "-c", "1e9"],
    expected: "--concurrency must be at most 10000, got 1000000000",
  },
  {
    name: "a timeout past the longest timer",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n',
    args: ["-m", "mock:echo", "--timeout", "2200000"],
    expected: /^--timeout must be at most 2147483 seconds .*, got 2200000$/,
  },
  {
    name: "a prompt larger than the model's context window",
    file: "in.jsonl",
    content: `{"prompt":"short"}\n${JSON.stringify({ prompt: bigPrompt })}\n`,
    args: ["-m", "openai:gpt-4o-mini"],
    expected:
      "in.jsonl:2: the prompt is 140,008 tokens, more than the 128,000-token context window of openai:gpt-4o-mini",
  },
  {
    name: "a prompt larger than the model's context window, in a dry run",
    file: "in.jsonl",
    content: `{"prompt":"short"}\n${JSON.stringify({ prompt: bigPrompt })}\n`,
    args: ["-m", "openai:gpt-4o-mini", "--dry-run"],
    expected:
      "in.jsonl:2: the prompt is 140,008 tokens, more than the 128,000-token context window of openai:gpt-4o-mini",
  },
  {
    name: "a ;-delimited CSV",
    file: "in.csv",
    content: "id;text\n1;hello, there\n",
    args: ["-m", "mock:echo", "-t", "{{text}}"],
    expected: `in.csv:1: the header is one column, "id;text": the file looks ';'-delimited; give --delimiter ';'`,
  },
  {
    name: "an explicit id equal to an earlier row's number",
    file: "in.jsonl",
    content: '{"prompt":"first"}\n{"id":"1","prompt":"second"}\n',
    args: ["-m", "mock:echo"],
    expected:
      'in.jsonl:2: id "1" is also the id of line 1, which has no id and so is named by its row number: give every row an id, or none',
  },
  {
    name: "a row without an id whose number an earlier row has as its id",
    file: "in.jsonl",
    content: '{"id":"2","prompt":"first"}\n{"prompt":"second"}\n',
    args: ["-m", "mock:echo"],
    expected:
      "in.jsonl:2: this row has no id, so its id is its row number, 2 — which line 1 has as its id: give every row an id, or none",
  },
  {
    name: "an unknown --encoding",
    file: "in.jsonl",
    content: '{"prompt":"hi"}\n',
    args: ["-m", "mock:echo", "--encoding", "klingon"],
    expected: /^--encoding "klingon" is not an encoding metasync knows/,
  },
];

/** The messages metasync printed on stderr, without their `metasync: ` prefix. */
function messages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("metasync: "))
    .map((line) => line.slice("metasync: ".length));
}

describe.concurrent("input that cannot be right is refused before anything is sent (exit 2)", () => {
  it.each(REFUSED)("$name", async ({ file, content, args, expected }) => {
    const cwd = workDir();
    writeFileSync(join(cwd, file), content);
    const result = await runCli(["run", file, ...args, "-o", "results.jsonl"], { cwd });

    expect(result.code, result.stderr).toBe(2);
    const printed = messages(result.stderr);
    if (typeof expected === "string") expect(printed, result.stderr).toContain(expected);
    else
      expect(
        printed.some((m) => expected.test(m)),
        result.stderr,
      ).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
    expect(filesNamed(cwd, "results")).toEqual([]);
  });

  it("names a misspelled template field once, with the rows' fields and a suggestion", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), "id,text\n1,a\n2,b\n3,c\n");
    const result = await runCli(["run", "in.csv", "-m", "mock:echo", "-t", "Say {{txt}}"], { cwd });
    expect(result.code, result.stderr).toBe(2);
    expect(messages(result.stderr)).toEqual([
      'in.csv:2: template field "txt" is missing from every row (3 rows); rows have: id, text — did you mean "text"?',
    ]);
  });

  it("sends nothing for a row whose model names an unknown provider", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"a"}\n{"prompt":"b","model":"nosuch:x"}\n');
    const result = await runCli(["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--progress", "none"], {
      cwd,
      env: providerEnv("openai", server, "sk-test"),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('in.jsonl:2: unknown provider "nosuch"');
    expect(server.stats().requests).toBe(0);
  });

  it("reports a bad --keys file before reading the input, in a dry run too", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":""}\nnot json\n');
    writeFileSync(join(cwd, "keys.yaml"), "keys:\n  - provider: openai\n    key: env:NO_SUCH_KEY\n");
    for (const extra of [[], ["--dry-run"]]) {
      const result = await runCli(
        ["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--keys", "keys.yaml", ...extra],
        { cwd },
      );
      expect(result.code, result.stderr).toBe(2);
      expect(messages(result.stderr)).toEqual([
        `${join(cwd, "keys.yaml")}:3: environment variable NO_SUCH_KEY is not set`,
      ]);
    }
  });

  it("escapes control characters of a bad line instead of echoing them to the terminal", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"fine"}\n\x1b[2J\x1b]0;pwned\x07{"prompt":"x"}\n');
    const result = await runCli(["run", "in.jsonl", "-m", "mock:echo"], { cwd });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^metasync: in\.jsonl:2: malformed JSON: .*\\x1b\[2J\\x1b\]0;pw/m);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none get through
    expect(result.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});

describe.concurrent("input metasync now reads", () => {
  it("reads a Windows-1252 CSV with --encoding cp1252", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), Buffer.from("id,name\n1,Jos\xe9\n", "latin1"));
    const result = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-t", "Hi {{name}}", "--encoding", "cp1252"],
      {
        cwd,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).map((line) => line.output)).toEqual(["Hi José"]);
  });

  it("reads UTF-16 JSONL with --encoding utf-16le", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), utf16le('{"prompt":"Grüße"}\n', true));
    const result = await runCli(["run", "in.jsonl", "-m", "mock:echo", "--encoding", "utf-16le"], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).map((line) => line.output)).toEqual(["Grüße"]);
  });

  it("reads a ;-delimited CSV with --delimiter ';', keeping its columns in a CSV results file", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), 'id;text\n1;"hello; there"\n2;plain, with a comma\n');
    const result = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-t", "{{text}}", "--delimiter", ";", "-o", "out.jsonl"],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(lines.map((line) => [line.id, line.output])).toEqual([
      ["1", "hello; there"],
      ["2", "plain, with a comma"],
    ]);
  });

  it("reads a JSON array of rows, from a .json file and from stdin", async () => {
    const cwd = workDir();
    const array = '[\n  {"id": "a", "prompt": "one"},\n  {"id": "b",\n   "prompt": "two"}\n]\n';
    writeFileSync(join(cwd, "rows.json"), array);
    for (const [input, stdin] of [
      ["rows.json", undefined],
      ["-", array],
    ] as const) {
      const result = await runCli(["run", input, "-m", "mock:echo"], { cwd, ...(stdin ? { stdin } : {}) });
      expect(result.code, result.stderr).toBe(0);
      expect(jsonLines(result.stdout).map((line) => [line.id, line.output])).toEqual([
        ["a", "one"],
        ["b", "two"],
      ]);
    }
  });

  it("locates a bad row of a JSON array at the line it starts on", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "rows.json"), '[\n  {"prompt": "one"},\n  {"prompt":\n    ""}\n]\n');
    const result = await runCli(["run", "rows.json", "-m", "mock:echo"], { cwd });
    expect(result.code, result.stderr).toBe(2);
    expect(messages(result.stderr)).toEqual(["rows.json:3: empty prompt"]);
  });

  it("warns of a model one edit away from a known one, and sends it as given", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"hi"}\n');
    const result = await runCli(["run", "in.jsonl", "-m", "openai:gpt-4o-mnii", "--progress", "plain"], {
      cwd,
      env: providerEnv("openai", server, "sk-test"),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("did you mean openai:gpt-4o-mini?");
    expect(jsonLines(result.stdout).map((line) => line.model)).toEqual(["openai:gpt-4o-mnii"]);
  });
});
