import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputError, UsageError } from "../../src/core/errors.js";
import { detectInputFormat } from "../../src/input/format.js";
import { openInputSource } from "../../src/input/input-source.js";

describe("detectInputFormat", () => {
  it.each([
    ["prompts.jsonl", "jsonl"],
    ["prompts.NDJSON", "jsonl"],
    ["reviews.csv", "csv"],
    ["reviews.tsv", "tsv"],
    ["-", "jsonl"],
    ["notes.txt", undefined],
  ])("%s → %s", (path, format) => {
    expect(detectInputFormat(path)).toBe(format);
  });

  it("lets --format win over the extension, and rejects an unknown one", () => {
    expect(detectInputFormat("data.txt", "csv")).toBe("csv");
    expect(detectInputFormat("data.csv", "xml")).toBeUndefined();
  });
});

describe("openInputSource", () => {
  const dir = mkdtempSync(join(tmpdir(), "metasync-source-"));

  it("names a missing file in an input error (exit code 2)", () => {
    const path = join(dir, "missing.jsonl");
    const error = thrownBy(() => openInputSource(path));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(`${path}: no such file`);
    expect((error as InputError).exitCode).toBe(2);
  });

  it("rejects a directory whose name looks like an input file", () => {
    const path = join(dir, "folder.csv");
    mkdirSync(path);
    expect(thrownBy(() => openInputSource(path)).message).toBe(`${path}: not a file`);
  });

  it("asks for --format when the extension says nothing", () => {
    const path = join(dir, "notes.txt");
    writeFileSync(path, "x");
    const error = thrownBy(() => openInputSource(path));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/cannot tell the format from its extension; give --format jsonl\|csv\|tsv/);
  });

  it("rejects an unknown --format by name", () => {
    expect(thrownBy(() => openInputSource("x.csv", { format: "xml" })).message).toBe(
      'unknown --format "xml" (known: jsonl, csv, tsv)',
    );
  });

  it("reads stdin as JSONL when given '-'", () => {
    const stdin = Readable.from(['{"prompt":"hi"}\n']);
    const source = openInputSource("-", { stdin });
    expect(source).toMatchObject({ name: "<stdin>", format: "jsonl" });
    expect(source.open()).toBe(stdin);
  });

  it("carries --encoding and --delimiter, and refuses a delimiter for JSON input", () => {
    const path = join(dir, "semi.csv");
    writeFileSync(path, "id;prompt\n1;hi\n");
    const source = openInputSource(path, { encoding: "windows-1252", delimiter: ";" });
    expect([source.encoding, source.delimiter]).toEqual(["windows-1252", ";"]);
    expect(() => openInputSource("-", { delimiter: ";", stdin: Readable.from([]) })).toThrow(
      new UsageError("--delimiter applies to CSV and TSV input, not JSON"),
    );
  });
});

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
