import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import type { ItemResult, ResultEntry } from "../../src/core/types.js";
import { outputFormatOf, resultColumnNames, writeResults } from "../../src/output/write-results.js";

const dir = () => mkdtempSync(join(tmpdir(), "metasync-out-"));

function ok(id: string, output: string): ItemResult {
  return {
    id,
    status: "ok",
    output,
    model: "mock:echo",
    usage: { input_tokens: 3, output_tokens: 4 },
    cost_usd: 0.00012,
    latency_ms: 15,
    attempts: 1,
    finish_reason: "stop",
    error: null,
  };
}

function failed(id: string): ItemResult {
  return {
    id,
    status: "error",
    output: null,
    model: "mock:echo",
    usage: null,
    cost_usd: null,
    latency_ms: 2,
    attempts: 3,
    finish_reason: null,
    error: { type: "bad_request", message: 'mock failure, "quoted"', status: 400 },
  };
}

function entry(id: string, result: ItemResult | undefined, columns?: string[]): ResultEntry {
  return { item: columns ? { id, columns } : { id }, result };
}

describe("writeResults to .jsonl", () => {
  it("writes one DESIGN §4 line per item, in input order, with pending items marked", async () => {
    const path = join(dir(), "out.jsonl");
    await writeResults([entry("b", ok("b", "first")), entry("a", failed("a")), entry("c", undefined)], {
      path,
    });
    const lines = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.status])).toEqual([
      ["b", "ok"],
      ["a", "error"],
      ["c", "pending"],
    ]);
    expect(lines[0]).toEqual({
      id: "b",
      status: "ok",
      output: "first",
      model: "mock:echo",
      usage: { input_tokens: 3, output_tokens: 4 },
      cost_usd: 0.00012,
      latency_ms: 15,
      attempts: 1,
      finish_reason: "stop",
      error: null,
    });
    expect(lines[1]).toMatchObject({
      output: null,
      error: { type: "bad_request", message: 'mock failure, "quoted"', status: 400 },
    });
  });

  it("accepts the entries as an async iterable", async () => {
    const path = join(dir(), "out.jsonl");
    async function* entries() {
      yield entry("1", ok("1", "x"));
      yield entry("2", ok("2", "y"));
    }
    await writeResults(entries(), { path });
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(2);
  });
});

describe("writeResults to .csv", () => {
  const header = ["id", "product", "text"];
  const awkward = [
    ["r1", "Kettle", 'Boils fast, but "the lid" sticks.'],
    ["r2", "Toaster", "Line one\nline two\r\nline three"],
    ["r3", "Café press", "crème 😊 — naïve, 日本語"],
    ["r4", " padded ", ""],
    ["r5", "=1+1", "'quote' and, comma"],
  ];

  it("keeps the input columns unchanged, followed by the result columns", async () => {
    const path = join(dir(), "out.csv");
    await writeResults(
      awkward.map((row) => entry(row[0] as string, ok(row[0] as string, `echo: ${row[2]}`), row)),
      { path, csvHeader: header },
    );
    const rows = parse(readFileSync(path), { bom: true }) as string[][];
    expect(rows[0]).toEqual([
      ...header,
      "output",
      "status",
      "error",
      "model",
      "input_tokens",
      "output_tokens",
      "cost_usd",
      "latency_ms",
      "attempts",
    ]);
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual(awkward);
    expect(rows.slice(1).map((r) => r[3])).toEqual(awkward.map((r) => `echo: ${r[2]}`));
    expect(rows[1]?.slice(4)).toEqual(["ok", "", "mock:echo", "3", "4", "0.00012", "15", "1"]);
  });

  it("writes a failed item's error and a pending item's status", async () => {
    const path = join(dir(), "out.csv");
    await writeResults([entry("a", failed("a"), ["a", "x"]), entry("b", undefined, ["b", "y"])], {
      path,
      csvHeader: ["id", "text"],
    });
    const rows = parse(readFileSync(path)) as string[][];
    expect(rows[1]).toEqual([
      "a",
      "x",
      "",
      "error",
      'bad_request: mock failure, "quoted"',
      "mock:echo",
      "",
      "",
      "",
      "2",
      "3",
    ]);
    expect(rows[2]?.slice(0, 4)).toEqual(["b", "y", "", "pending"]);
  });

  it("renames a result column that the input already has to result_<name>", async () => {
    expect(resultColumnNames(["id", "output", "status", "text"])).toEqual([
      "result_output",
      "result_status",
      "error",
      "model",
      "input_tokens",
      "output_tokens",
      "cost_usd",
      "latency_ms",
      "attempts",
    ]);
    const path = join(dir(), "out.csv");
    await writeResults([entry("1", ok("1", "new"), ["1", "old output"])], {
      path,
      csvHeader: ["id", "output"],
    });
    const rows = parse(readFileSync(path)) as string[][];
    expect(rows[0]?.slice(0, 3)).toEqual(["id", "output", "result_output"]);
    expect(rows[1]?.slice(0, 3)).toEqual(["1", "old output", "new"]);
  });

  it("neutralises answers and errors that a spreadsheet would run as formulas; input cells stay as they are", async () => {
    const payloads = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"];
    const path = join(dir(), "out.csv");
    const entries = payloads.map((p, i) => entry(`r${i}`, ok(`r${i}`, p), [`r${i}`, p]));
    const error = { ...failed("e"), error: { type: "bad_request" as const, message: "=bad", status: 400 } };
    await writeResults([...entries, entry("e", error, ["e", "=input"])], { path, csvHeader: ["id", "text"] });
    const rows = (parse(readFileSync(path)) as string[][]).slice(1);
    expect(rows.map((r) => r[1])).toEqual([...payloads, "=input"]);
    expect(rows.map((r) => r[2])).toEqual([
      "'=1+2",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      "plain",
      "a=b",
      "",
    ]);
    expect(rows.at(-1)?.[4]).toBe("bad_request: =bad");

    await writeResults(entries, { path, csvHeader: ["id", "text"], csvFormulas: true });
    expect((parse(readFileSync(path)) as string[][]).slice(1).map((r) => r[2])).toEqual(payloads);
  });

  it("writes an id column first when the input was not a CSV", async () => {
    const path = join(dir(), "out.csv");
    await writeResults([entry("q1", ok("q1", "answer"))], { path });
    const rows = parse(readFileSync(path)) as string[][];
    expect(rows[0]?.slice(0, 2)).toEqual(["id", "output"]);
    expect(rows[1]?.slice(0, 3)).toEqual(["q1", "answer", "ok"]);
  });
});

describe("the results file", () => {
  it("must end in .jsonl, .ndjson or .csv", () => {
    expect(outputFormatOf("a.JSONL")).toBe("jsonl");
    expect(outputFormatOf("a.ndjson")).toBe("jsonl");
    expect(outputFormatOf("a.csv")).toBe("csv");
    expect(() => outputFormatOf("a.txt")).toThrow(UsageError);
    expect(() => outputFormatOf("a.txt")).toThrow("a.txt: the results file must end in .jsonl or .csv");
  });

  it("is written without leaving a temporary file beside it", async () => {
    const folder = dir();
    await writeResults([entry("1", ok("1", "x"))], { path: join(folder, "out.jsonl") });
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
  });
});
