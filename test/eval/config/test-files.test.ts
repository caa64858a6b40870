import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

const FILES = "test/eval/fixtures/test-files";

describe("tests from files: CSV, JSONL, YAML, JSON and globs, in one list with inline tests", () => {
  const tests = load(`${FILES}/promptfooconfig.yaml`).tests;

  it("reads every __ column of a CSV row as promptfoo does", () => {
    expect(tests[0]).toEqual({
      index: 0,
      description: "sums",
      vars: { question: "What is 2+2?" },
      assert: [
        { type: "equals", value: "4", metric: "arith" },
        { type: "contains", value: "four", metric: "arith" },
        // __config:__expected3:threshold sets the third assertion's threshold, and the metadata's.
        { type: "levenshtein", value: "five", threshold: 2, metric: "arith" },
      ],
      threshold: 0.5,
      metadata: { team: "math", tags: ["easy", "quick, short"], threshold: 2 },
    });
  });

  it("keeps a zero __threshold, names a row without __description `Row #n`, skips empty cells", () => {
    expect(tests[1]).toEqual({
      index: 1,
      description: "Row #2",
      vars: { question: "Capital of France?" },
      assert: [
        { type: "equals", value: "Paris" },
        { type: "not-icontains", value: "london" },
        { type: "levenshtein", value: "Capital of France", threshold: 1 },
      ],
      threshold: 0,
      metadata: { team: "geo", threshold: 1 },
    });
    expect(tests[2]).toEqual({
      index: 2,
      description: "Row #3",
      vars: { question: "Say hi" },
      assert: [{ type: "javascript", value: "output.length > 0" }],
    });
  });

  it("reads JSONL (blank lines skipped), YAML (list vars expanded) and JSON tests", () => {
    expect(tests.slice(3, 9).map((t) => [t.index, t.description, t.vars.question])).toEqual([
      [3, "jsonl one", "jsonl?"],
      [4, undefined, "jsonl two?"],
      [5, "yaml one", "yaml?"],
      [6, undefined, "red?"],
      [7, undefined, "green?"],
      [8, undefined, "json?"],
    ]);
    expect(tests[4]?.threshold).toBe(0.5);
    expect(tests[6]?.metadata).toEqual({ color: true });
    expect(tests[8]?.assert).toEqual([{ type: "starts-with", value: "json" }]);
  });

  it("expands a glob of CSV files in name order, then the inline test", () => {
    expect(tests.slice(9).map((t) => [t.description, t.vars.question, t.assert])).toEqual([
      ["Row #1", "glob a?", []],
      ["Row #1", "glob b?", [{ type: "is-json" }]],
      ["inline", "inline?", []],
    ]);
    expect(tests).toHaveLength(12);
  });
});

describe("tests given as one file (promptfoo's standalone reader)", () => {
  it("names JSON tests without a description `Row #n`, and every JSONL row `Row #n`", () => {
    const json = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "tests: file://t.json"),
      "t.json": '[{"vars": {"q": "a"}}, {"description": "own", "vars": {"q": "b"}}]',
    });
    expect(load(json).tests.map((t) => t.description)).toEqual(["Row #1", "own"]);
    const jsonl = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "tests: file://t.jsonl"),
      "t.jsonl": '{"description": "own", "vars": {"q": "a"}}\n{"vars": {"q": "b"}}\n',
    });
    expect(load(jsonl).tests.map((t) => t.description)).toEqual(["Row #1", "Row #2"]);
  });

  it("reads a YAML tests file or glob as test objects", () => {
    const path = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "tests: file://t/*.yaml"),
      "t/a.yaml": yaml("- vars: { q: a }", "- vars: { q: b }"),
      "t/b.yaml": yaml("vars: { q: c }", "assert: [{ type: contains, value: c }]"),
    });
    expect(load(path).tests.map((t) => [t.vars.q, t.description, t.assert.length])).toEqual([
      ["a", undefined, 0],
      ["b", undefined, 0],
      ["c", undefined, 1],
    ]);
  });

  it("-t replaces the config's tests with a file relative to the working directory", () => {
    const config = load("promptfooconfig.yaml", {
      testsFile: "tests/cases.json",
      cwd: resolve(FILES),
    });
    expect(config.tests.map((t) => t.vars.question)).toEqual(["json?"]);
    expect(problemsOf("promptfooconfig.yaml", { testsFile: "nope.csv", cwd: resolve(FILES) })).toEqual([
      "--tests nope.csv: no such tests file nope.csv",
    ]);
  });

  it("reads CSV with the delimiter PROMPTFOO_CSV_DELIMITER names", () => {
    const path = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "tests: file://t.csv"),
      "t.csv": "q;__expected\nhello;contains:hel\n",
    });
    expect(load(path, { env: { PROMPTFOO_CSV_DELIMITER: ";" } }).tests[0]).toMatchObject({
      vars: { q: "hello" },
      assert: [{ type: "contains", value: "hel" }],
    });
  });

  it("reports a malformed CSV, its unsupported columns and a bad list, each at its line", () => {
    const path = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "tests:", "  - file://ok.csv", "  - file://broken.csv"),
      "ok.csv":
        'q,__prefix,__expected,__metadata,__config:__expected:weight\nhi,Say:,"icontains-any:""a,b",x,1\n',
      "broken.csv": "q,answer\none,1\n\nthree,3\n",
    });
    const dir = path.replace(/c\.yaml$/, "");
    expect(problemsOf(path)).toEqual([
      `${dir}ok.csv:1: column "__prefix" is not supported`,
      `${dir}ok.csv:1: column "__metadata" needs a key, e.g. "__metadata:category"`,
      `${dir}ok.csv:2: column "__expected": Unterminated quoted field in contains assertion value`,
      `${dir}ok.csv:2: column "__config:__expected:weight": "weight" is not a config key (known: threshold)`,
      `${dir}broken.csv:3: malformed CSV: Invalid Record Length: columns length is 2, got 1`,
    ]);
  });

  it("reports files that are not there, globs that match nothing and sources it does not read", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "providers: [mock:echo]",
        "tests:",
        "  - file://missing.csv",
        "  - file://none/*.yaml",
        "  - file://generate.py:tests",
        "  - file://sheet.xlsx",
        "  - huggingface://datasets/acme/qa",
        "  - file://data.tsv",
        "  - path: t.csv",
      ),
    });
    expect(
      problemsOf(path).map((line) => line.slice(path.length).replace(path.replace(/c\.yaml$/, ""), "")),
    ).toEqual([
      ":3: tests[0]: no such tests file missing.csv",
      ":4: tests[1]: no file matches file://none/*.yaml",
      ":5: tests[2]: tests generated by scripts (generate.py:tests) are not supported",
      ":6: tests[3]: Excel test files (sheet.xlsx) are not supported",
      ":7: tests[4]: tests from Hugging Face datasets are not supported",
      ":8: tests[5]: test files of type .tsv (data.tsv) are not supported",
      ":9: tests[6].path (a tests file with config) is not supported; list the file as file://…",
    ]);
  });
});
