import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { ConfigFile } from "../../../src/config/yaml-config.js";
import { readSimpleCsv } from "../../../src/eval/config/csv-records.js";
import { csvTests } from "../../../src/eval/config/csv-tests.js";
import type { RawTest } from "../../../src/eval/config/test-case.js";

/** The records the fast reader gives, or undefined when it leaves the file to csv-parse. */
function quick(text: string, delimiter = ","): string[][] | undefined {
  const records: string[][] = [];
  const read = readSimpleCsv(Buffer.from(text), delimiter, (fields) => records.push([...fields]));
  if (!read) expect(records).toEqual([]);
  return read ? records : undefined;
}

/**
 * csv-parse's records (the header first), when it reads the file as the config loader reads it
 * (`columns: true`, strict quotes); undefined when it refuses the file.
 */
function reference(text: string, delimiter = ","): string[][] | undefined {
  try {
    parse(text, { columns: true, bom: true, delimiter, info: true });
    return parse(text, { bom: true, delimiter }) as string[][];
  } catch {
    return undefined;
  }
}

describe("the fast CSV reader reads what csv-parse reads, or leaves the file to it", () => {
  it("reads plain files as csv-parse does: quotes, doubled quotes, CRLF, a BOM, empty fields, no final newline", () => {
    const files = [
      "q,a\nhi,1\nho,2\n",
      'q,a\n"hi, there","say ""hi"""\n',
      'q,a\r\n"two\r\nlines",x\r\ny,z',
      "\uFEFFq,a\n,\n",
      "q,a\nno,newline",
      'q\n"multi\nline"\n',
      "q\n\n",
      "q;a\nx;y\n",
      "only,header\n",
      "é,ü\nñ,日本\n",
    ];
    for (const text of files) {
      const delimiter = text.includes(";") ? ";" : ",";
      expect(quick(text, delimiter), JSON.stringify(text)).toEqual(reference(text, delimiter));
    }
  });

  it("leaves to csv-parse what it does not read the same way", () => {
    for (const text of [
      "", // nothing
      "q,a\nhi\n", // a short record
      "q,a\n\nx,y\n", // an empty line
      'q,a\nh"i,1\n', // a quote inside a field
      'q,a\n"hi"x,1\n', // text after a closing quote
      'q,a\n"open,1\n', // a quote never closed
      "q,a\r\nx,y\nz,w\r\n", // mixed line ends
      "q,a\rx,y\r", // old Mac line ends
      "__proto__,a\nx,y\n",
    ]) {
      expect(quick(text), JSON.stringify(text)).toBeUndefined();
    }
    expect(quick("q|a\nx|y\n", "||")).toBeUndefined();
    expect(quick("q§a\nx§y\n", "§")).toBeUndefined();
  });

  it("agrees with csv-parse on random files (whenever it reads one)", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ["a", "b", " ", ",", ",", '"', "\n", "\n", "\r\n", "\r", "é", "\uFEFF", "x"];
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(random() * 30);
      let text = "";
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const fast = quick(text);
      if (fast === undefined) continue;
      read++;
      expect(fast, JSON.stringify(text)).toEqual(reference(text));
    }
    expect(read).toBeGreaterThan(300);
  });
});

describe("CSV tests read fast are the tests csv-parse's records give", () => {
  const context = { env: {}, check: {} };
  const read = (text: string | Buffer, file = new ConfigFile("t.csv", undefined)) => {
    const tests: RawTest[] = [];
    csvTests(typeof text === "string" ? Buffer.from(text) : text, file, {
      ...context,
      add: (t) => tests.push(t),
    });
    return { tests: file.problems.length > 0 ? undefined : tests, problems: file.problems };
  };

  it("shares one assertion among rows with the same cell, and copies it where a row changes it", () => {
    const { tests } = read(
      [
        "q,__expected,__metric,__config:__expected:threshold",
        "a,contains:x,,",
        "b,contains:x,,",
        "c,contains:x,m,",
        "d,levenshtein:x,,2",
        "e,levenshtein:x,,",
      ].join("\n"),
    );
    expect(tests?.map((t) => t.assert)).toEqual([
      [{ type: "contains", value: "x" }],
      [{ type: "contains", value: "x" }],
      [{ type: "contains", value: "x", metric: "m" }],
      [{ type: "levenshtein", value: "x", threshold: 2 }],
      [{ type: "levenshtein", value: "x", threshold: 0.75 }],
    ]);
    const lists = tests?.map((t) => t.assert) ?? [];
    expect(lists[0]).toBe(lists[1]);
    expect(lists[2]?.[0]).not.toBe(lists[0]?.[0]);
  });

  it("keeps csv-parse's view of duplicate columns: the first one's place, the last one's value", () => {
    const { tests } = read("q,__expected,q\nfirst,contains:x,last\n");
    expect(tests).toEqual([
      { vars: { q: "last" }, assert: [{ type: "contains", value: "x" }], options: {}, description: "Row #1" },
    ]);
  });

  it("gives each test once when the fast reader leaves a file to csv-parse only at its end", () => {
    const text = `q,__expected\n${Array.from({ length: 3000 }, (_, i) => `r${i},contains:x`).join("\n")}\nla"st,contains:x\n`;
    const { tests, problems } = read(text);
    expect(problems).toEqual([]);
    expect(tests?.map((t) => t.vars?.q)).toEqual([
      ...Array.from({ length: 3000 }, (_, i) => `r${i}`),
      'la"st',
    ]);
  });

  it("reads a file that is not valid UTF-8 as its decoded text reads", () => {
    const bytes = Buffer.concat([
      Buffer.from("q,__expected\nok"),
      Buffer.from([0xe2, 0x82]),
      Buffer.from(",contains:x\n"),
    ]);
    expect(read(bytes).tests?.[0]?.vars).toEqual({ q: "ok\ufffd" });
  });

  it("reports a problem at its line, even in a file the fast reader reads", () => {
    const text = 'q,__expected\nfine,contains:x\nbad,"contains-any:""open"\n';
    expect(quick(text)).toBeDefined();
    const { tests, problems } = read(text);
    expect(tests).toBeUndefined();
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [3, 'column "__expected": Unterminated quoted field in contains assertion value'],
    ]);
  });
});
