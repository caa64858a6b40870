import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { inputEncoding } from "../../src/input/encoding.js";
import { detectInputFormat, inputDelimiter } from "../../src/input/format.js";

describe("inputEncoding (--encoding)", () => {
  it.each([
    ["utf8", "utf-8"],
    ["UTF-8", "utf-8"],
    ["cp1252", "windows-1252"],
    ["latin1", "windows-1252"],
    ["ISO-8859-1", "windows-1252"],
    ["utf-16le", "utf-16le"],
    ["UTF16BE", "utf-16be"],
    ["utf-16", "utf-16"],
    ["iso-8859-15", "iso-8859-15"],
  ])("%s → %s", (name, canonical) => {
    expect(inputEncoding(name)).toBe(canonical);
  });

  it("refuses an encoding it does not know, naming the common ones", () => {
    expect(() => inputEncoding("klingon")).toThrow(UsageError);
    expect(() => inputEncoding("klingon")).toThrow(
      '--encoding "klingon" is not an encoding metasync knows (e.g. utf-8, cp1252, latin1, utf-16le, utf-16be)',
    );
  });
});

describe("inputDelimiter (--delimiter)", () => {
  it.each([
    [";", ";"],
    ["|", "|"],
    ["tab", "\t"],
    ["\\t", "\t"],
    ["\t", "\t"],
  ])("%j → %j", (text, delimiter) => {
    expect(inputDelimiter(text)).toBe(delimiter);
  });

  it.each(["", ";;", '"', "\n"])("refuses %j", (text) => {
    expect(() => inputDelimiter(text)).toThrow(/^--delimiter must be one character/);
  });
});

describe("--format json", () => {
  it("names JSON input, read as JSON Lines or one JSON array", () => {
    expect(detectInputFormat("rows.txt", "json")).toBe("jsonl");
    expect(detectInputFormat("rows.json")).toBe("jsonl");
  });
});
