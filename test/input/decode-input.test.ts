import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type DecodeProblem, decodeInput, firstInvalid } from "../../src/input/decode-input.js";

/** Runs `chunks` through the decoder: the text it passes on, and the problems it reports. */
async function decode(chunks: Buffer[], encoding?: string) {
  const problems: DecodeProblem[] = [];
  const stream = decodeInput(Readable.from(chunks), {
    name: "in.csv",
    encoding,
    onProblem: (p) => problems.push(p),
  });
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return { text: Buffer.concat(out).toString("utf8"), bytes: Buffer.concat(out), problems };
}

/** `bytes` cut into pieces of `size` bytes, as a file stream may deliver them. */
const pieces = (bytes: Buffer, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

describe("decodeInput", () => {
  it("passes UTF-8 through unchanged, even with characters cut between chunks", async () => {
    const bytes = Buffer.from("id,text\n1,José 🙂 Grüße\n2,日本語\n");
    for (const size of [1, 2, 3, 5, 64]) {
      const { bytes: out, problems } = await decode(pieces(bytes, size));
      expect(problems).toEqual([]);
      expect(out.equals(bytes)).toBe(true);
    }
  });

  it("reports the first byte that is not UTF-8, at its line, with the text before it and what to do", async () => {
    const bytes = Buffer.from("id,name\n1,Ann\n2,Jos\xe9\n3,Ren\xe9\n", "latin1");
    for (const size of [1, 4, 1000]) {
      const { problems, text } = await decode(pieces(bytes, size));
      expect(problems).toHaveLength(1);
      expect(problems[0]?.line).toBe(3);
      expect(problems[0]?.fatal).toBe(false);
      expect(problems[0]?.message).toContain("not valid UTF-8 (byte 0xE9");
      expect(problems[0]?.message).toContain(
        "give --encoding cp1252, or convert it: iconv -f CP1252 -t UTF-8 in.csv > in.utf8.csv",
      );
      // The rest is still read, so its other problems can be reported too.
      expect(text.split("\n")).toHaveLength(5);
    }
  });

  it("reports a character cut short at the end of the input", async () => {
    const { problems } = await decode([Buffer.from([0x61, 0x0a, 0x62, 0xe6, 0x97])]);
    expect(problems.map((p) => [p.line, p.message.slice(0, 30)])).toEqual([
      [2, "not valid UTF-8 (byte 0xE6): t"],
    ]);
  });

  it.each([
    ["UTF-16 little-endian with a byte-order mark", Buffer.from([0xff, 0xfe, 0x61, 0, 0x0a, 0]), "utf-16le"],
    ["UTF-16 big-endian with a byte-order mark", Buffer.from([0xfe, 0xff, 0, 0x61, 0, 0x0a]), "utf-16be"],
    ["UTF-16 little-endian by its NUL bytes", Buffer.from('{"prompt":"hi"}\n', "utf16le"), "utf-16le"],
    ["UTF-16 big-endian by its NUL bytes", Buffer.from('{"prompt":"hi"}\n', "utf16le").swap16(), "utf-16be"],
  ])("refuses %s, passing nothing on", async (_name, bytes, encoding) => {
    const { problems, text } = await decode([bytes]);
    expect(text).toBe("");
    expect(problems).toHaveLength(1);
    expect(problems[0]?.fatal).toBe(true);
    expect(problems[0]?.line).toBeUndefined();
    expect(problems[0]?.message).toContain(`give --encoding ${encoding}`);
  });

  it("names UTF-32, which has no --encoding", async () => {
    const { problems } = await decode([Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0])]);
    expect(problems[0]?.message).toMatch(
      /^the file is UTF-32 little-endian .*iconv -f UTF-32LE -t UTF-8 in\.csv/,
    );
  });

  it("converts Windows-1252, Latin-1 and UTF-16 to UTF-8", async () => {
    const cp1252 = Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x20, 0x80, 0x0a]);
    expect((await decode(pieces(cp1252, 2), "windows-1252")).text).toBe("José €\n");
    const wide = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Grüße 🙂\n", "utf16le")]);
    expect((await decode(pieces(wide, 3), "utf-16le")).text).toBe("Grüße 🙂\n");
    const big = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("Grüße\n", "utf16le").swap16()]);
    expect((await decode(pieces(big, 3), "utf-16")).text).toBe("Grüße\n");
    expect((await decode([Buffer.from("Grüße\n", "utf16le")], "utf-16")).text).toBe("Grüße\n");
  });

  it("passes a tiny input through whole", async () => {
    expect(await decode([Buffer.from("{}")])).toEqual({ text: "{}", bytes: Buffer.from("{}"), problems: [] });
  });
});

describe("firstInvalid", () => {
  it.each([
    ["valid text", Buffer.from("aé€🙂"), -1],
    ["a lone continuation byte", Buffer.from([0x61, 0x80]), 1],
    ["an overlong encoding", Buffer.from([0x61, 0xc0, 0xaf]), 1],
    ["a UTF-16 surrogate", Buffer.from([0xed, 0xa0, 0x80]), 0],
    ["a code point past U+10FFFF", Buffer.from([0xf4, 0x90, 0x80, 0x80]), 0],
    ["a character cut short", Buffer.from([0x61, 0x62, 0xe2, 0x82]), 2],
  ])("finds %s", (_name, bytes, offset) => {
    expect(firstInvalid(bytes)).toBe(offset);
  });
});
