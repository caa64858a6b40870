import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import {
  checkEvalOutputPath,
  checkEvalOutputPaths,
  type EvalOutputOptions,
  openEvalOutputs,
} from "../../src/eval/eval-outputs.js";
import type { EvalRow } from "../../src/eval/eval-row.js";
import { summarizeEval } from "../../src/eval/summary.js";

function evalRow(overrides: Partial<EvalRow> = {}): EvalRow {
  const status = overrides.status ?? "pass";
  return {
    test: 0,
    description: null,
    prompt: "p1",
    provider: "mock:echo",
    repeat: 0,
    vars: {},
    output: "ok",
    status,
    pass: status === "pass",
    score: status === "pass" ? 1 : 0,
    reason: status === "pass" ? "All assertions passed" : "Expected output to equal ok",
    named_scores: {},
    assertions: [],
    error: null,
    latency_ms: 100,
    usage: { input_tokens: 10, output_tokens: 2 },
    cost_usd: 0.001,
    grading_cost_usd: 0,
    cached: false,
    ...overrides,
  };
}

/** A pass, a fail with two assertions (one failing), an error, and a second provider. */
const ROWS: EvalRow[] = [
  evalRow({
    test: 0,
    description: "refund ticket",
    vars: { text: "I want my money back", lang: "en" },
    output: "billing",
    assertions: [{ type: "equals", pass: true, score: 1, reason: "Assertion passed", weight: 1 }],
    latency_ms: 412,
    usage: { input_tokens: 80, output_tokens: 2 },
    cost_usd: 0.000013,
  }),
  evalRow({
    test: 1,
    vars: { text: '=HYPERLINK("x")', lang: "en" },
    output: "-shipping",
    status: "fail",
    score: 0.5,
    reason: 'Expected output "-shipping" to equal "billing"',
    assertions: [
      { type: "contains", pass: true, score: 1, reason: "Assertion passed", weight: 1 },
      {
        type: "equals",
        pass: false,
        score: 0,
        reason: 'Expected output "-shipping" to equal "billing"',
        weight: 1,
      },
    ],
    latency_ms: 250,
  }),
  evalRow({
    test: 2,
    description: 'bell \u0007 and <tags> & "quotes"',
    vars: { text: "line one\nline two", lang: ["en", "fr"] },
    output: null,
    status: "error",
    pass: false,
    score: 0,
    reason: "server_error: HTTP 500",
    error: { type: "server_error", message: "HTTP 500", status: 500 },
    latency_ms: null,
    usage: null,
    cost_usd: 0,
  }),
  evalRow({ test: 0, description: "refund ticket", provider: "mock:other", repeat: 1, cost_usd: null }),
];

const OPTIONS: EvalOutputOptions = { varNames: ["text", "lang"], title: "support router" };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "metasync-eval-out-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function write(names: string[], rows: EvalRow[] = ROWS, options = OPTIONS): Promise<string[]> {
  const paths = names.map((name) => join(dir, name));
  const outputs = await openEvalOutputs(paths, options);
  for (const row of rows) await outputs.add(row);
  await outputs.finish(await summarizeEval(rows));
  return paths.map((path) => readFileSync(path, "utf8"));
}

describe("checkEvalOutputPath", () => {
  it("takes the known extensions, in any case", () => {
    for (const name of ["a.jsonl", "a.ndjson", "a.json", "a.csv", "a.md", "a.xml", "a.html", "A.JSONL"]) {
      expect(() => checkEvalOutputPath(join(dir, name))).not.toThrow();
    }
  });

  it("refuses an unknown extension, naming the file and the extensions it takes", () => {
    const path = join(dir, "results.txt");
    expect(() => checkEvalOutputPath(path)).toThrow(UsageError);
    expect(() => checkEvalOutputPath(path)).toThrow(
      `${path}: unknown output format .txt; -o takes .jsonl, .json, .csv, .md, .xml, .html`,
    );
    expect(() => checkEvalOutputPath(join(dir, "results"))).toThrow("unknown output format; -o takes");
  });

  it("refuses a directory that does not exist, and a file named twice", () => {
    expect(() => checkEvalOutputPath(join(dir, "missing", "a.jsonl"))).toThrow(
      `no such directory ${join(dir, "missing")}`,
    );
    expect(() => checkEvalOutputPaths([join(dir, "a.json"), join(dir, ".", "a.json")])).toThrow(
      "is the same file as -o",
    );
  });
});

describe("openEvalOutputs", () => {
  it(".jsonl: one row per line, the contract's fields in its order whatever order the row has", async () => {
    const scrambled = { cached: false, ...ROWS[0], test: 0 } as EvalRow;
    const [text] = await write(["out.jsonl"], [scrambled, ROWS[2] as EvalRow]);
    const lines = text?.trimEnd().split("\n") ?? [];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      '{"test":0,"description":"refund ticket","prompt":"p1","provider":"mock:echo","repeat":0,' +
        '"vars":{"text":"I want my money back","lang":"en"},"output":"billing","status":"pass","pass":true,' +
        '"score":1,"reason":"All assertions passed","named_scores":{},' +
        '"assertions":[{"type":"equals","pass":true,"score":1,"reason":"Assertion passed","weight":1}],' +
        '"error":null,"latency_ms":412,"usage":{"input_tokens":80,"output_tokens":2},"cost_usd":0.000013,' +
        '"grading_cost_usd":0,"cached":false}',
    );
    expect(Object.keys(JSON.parse(lines[1] ?? "{}"))).toEqual([
      "test",
      "description",
      "prompt",
      "provider",
      "repeat",
      "vars",
      "output",
      "status",
      "pass",
      "score",
      "reason",
      "named_scores",
      "assertions",
      "error",
      "latency_ms",
      "usage",
      "cost_usd",
      "grading_cost_usd",
      "cached",
    ]);
    expect(JSON.parse(lines[1] ?? "{}").error).toEqual({
      type: "server_error",
      message: "HTTP 500",
      status: 500,
    });
  });

  it(".json: the summary first, then every row", async () => {
    const [text] = await write(["out.json"]);
    const parsed = JSON.parse(text ?? "");
    expect(Object.keys(parsed)).toEqual(["summary", "rows"]);
    expect(parsed.summary).toEqual(JSON.parse(JSON.stringify(await summarizeEval(ROWS))));
    expect(parsed.summary.overall).toMatchObject({ rows: 4, pass: 2, fail: 1, error: 1, cost_usd: null });
    expect(parsed.rows).toEqual(JSON.parse(JSON.stringify(ROWS)));
    expect(text?.startsWith('{\n  "summary": {\n    "cells": [')).toBe(true);
    expect(text?.endsWith('"cached":false}\n  ]\n}\n')).toBe(true);
  });

  it(".json with no rows is still valid JSON", async () => {
    const [text] = await write(["out.json"], []);
    expect(JSON.parse(text ?? "").rows).toEqual([]);
  });

  it(".csv: a var:<name> column per var, and no cell of metasync's own that a spreadsheet runs as a formula", async () => {
    const [text] = await write(["out.csv"]);
    expect(text).toBe(
      [
        "test,description,prompt,provider,repeat,var:text,var:lang,output,status,pass,score,reason,error,latency_ms,input_tokens,output_tokens,cost_usd,grading_cost_usd",
        "0,refund ticket,p1,mock:echo,0,I want my money back,en,billing,pass,true,1,All assertions passed,,412,80,2,0.000013,0",
        '1,,p1,mock:echo,0,"=HYPERLINK(""x"")",en,\'-shipping,fail,false,0.5,"Expected output ""-shipping"" to equal ""billing""",,250,10,2,0.001,0',
        '2,"bell \u0007 and <tags> & ""quotes""",p1,mock:echo,0,"line one\nline two","[""en"",""fr""]",,error,false,0,server_error: HTTP 500,server_error: HTTP 500,,,,0,0',
        "0,refund ticket,p1,mock:other,1,,,ok,pass,true,1,All assertions passed,,100,10,2,,0",
        "",
      ].join("\n"),
    );
  });

  it(".md: the summary table, then the rows that failed or errored", async () => {
    const [text] = await write(["out.md"]);
    const lines = text?.split("\n") ?? [];
    expect(lines[0]).toBe("# support router");
    expect(lines[2]).toMatch(/^\| prompt \| provider \| rows \| pass \|/);
    expect(lines.slice(lines.indexOf("## Failing rows (2 of 4)"))).toEqual([
      "## Failing rows (2 of 4)",
      "",
      "| test | description | prompt | provider | repeat | status | reason | output |",
      "|---:|---|---|---|---:|---|---|---|",
      '| 1 |  | p1 | mock:echo | 0 | fail | Expected output "-shipping" to equal "billing" | -shipping |',
      '| 2 | bell \u0007 and &lt;tags&gt; &amp; "quotes" | p1 | mock:echo | 0 | error | server_error: HTTP 500 |  |',
      "",
    ]);
  });

  it(".md says so when every row passed", async () => {
    const [text] = await write(["out.md"], [ROWS[0] as EvalRow]);
    expect(text).toMatch(/\nEvery row passed \(1 row\)\.\n$/);
  });

  it(".xml: JUnit a real parser reads, a suite per prompt × provider with its counts", async () => {
    const [text] = await write(["out.xml"]);
    expect(XMLValidator.validate(text ?? "")).toBe(true);
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
    });
    const doc = parser.parse(text ?? "");
    const root = doc.testsuites;
    expect(root).toMatchObject({ name: "support router", tests: "4", failures: "1", errors: "1" });
    expect(
      root.testsuite.map((s: Record<string, string>) => [s.name, s.tests, s.failures, s.errors]),
    ).toEqual([
      ["p1 × mock:echo", "3", "1", "1"],
      ["p1 × mock:other", "1", "0", "0"],
    ]);
    const [echo, other] = root.testsuite;
    expect(echo.properties.property).toEqual([
      { name: "prompt", value: "p1" },
      { name: "provider", value: "mock:echo" },
    ]);
    const [pass, fail, error] = echo.testcase;
    expect(pass).toEqual({ name: "refund ticket", classname: "p1 × mock:echo", time: "0.412" });
    expect(fail.name).toBe("test 1");
    expect(fail.failure.message).toBe('Expected output "-shipping" to equal "billing"');
    expect(fail.failure["#text"]).toBe('equals: Expected output "-shipping" to equal "billing"');
    expect(fail["system-out"]).toBe("-shipping");
    // The bell (invalid in XML 1.0) is replaced; markup characters come back as they were.
    expect(error.name).toBe('bell \uFFFD and <tags> & "quotes"');
    expect(error.error).toEqual({ message: "server_error: HTTP 500", type: "server_error" });
    expect(other.testcase[0].name).toBe("refund ticket (repeat 1)");
  });

  it(".xml keeps line breaks in messages and replaces characters XML cannot hold", async () => {
    const row = evalRow({
      status: "fail",
      reason: "first line\nsecond\tline\r\nthird \u0000\u001b\uFFFE \uD800 end",
      output: "a]]>b",
    });
    const [text] = await write(["out.xml"], [row]);
    expect(XMLValidator.validate(text ?? "")).toBe(true);
    // htmlEntities: decode character references (&#10;) as XML does.
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", htmlEntities: true });
    const doc = parser.parse(text ?? "");
    const testcase = doc.testsuites.testsuite.testcase;
    expect(testcase.failure.message).toBe("first line\nsecond\tline\r\nthird \uFFFD\uFFFD\uFFFD \uFFFD end");
    expect(testcase["system-out"]).toBe("a]]>b");
  });

  it("writes every format from one stream of rows", async () => {
    const texts = await write(["a.jsonl", "a.json", "a.csv", "a.md", "a.xml"]);
    expect(texts.map((text) => text.length > 0)).toEqual([true, true, true, true, true]);
    expect(readdirSync(dir).sort()).toEqual(["a.csv", "a.json", "a.jsonl", "a.md", "a.xml"]);
  });

  it("puts nothing at the paths before finish, and abort leaves an existing file as it was", async () => {
    const existing = join(dir, "out.jsonl");
    writeFileSync(existing, "earlier\n");
    const paths = [
      existing,
      join(dir, "out.json"),
      join(dir, "out.csv"),
      join(dir, "out.md"),
      join(dir, "out.xml"),
    ];
    const outputs = await openEvalOutputs(paths, OPTIONS);
    for (const row of ROWS) await outputs.add(row);
    expect(readdirSync(dir).filter((name) => !name.startsWith("."))).toEqual(["out.jsonl"]);
    await outputs.abort();
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
    expect(readFileSync(existing, "utf8")).toBe("earlier\n");
  });

  it("leaves no temporary file behind once finished", async () => {
    await write(["a.jsonl", "a.json", "a.csv", "a.md", "a.xml"]);
    expect(readdirSync(dir).filter((name) => name.startsWith("."))).toEqual([]);
  });

  it("fails before anything is written on an unknown extension", async () => {
    await expect(openEvalOutputs([join(dir, "a.jsonl"), join(dir, "a.yaml")], OPTIONS)).rejects.toThrow(
      "unknown output format .yaml",
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
