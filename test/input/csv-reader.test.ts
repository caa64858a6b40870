import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/input/csv-reader.js";
import type { ReaderOutput } from "../../src/input/raw-row.js";
import { collect, textStream } from "../support/streams.js";

const read = (text: string, delimiter = ",", chunkSize?: number) =>
  collect(readCsv(textStream(text, chunkSize), { delimiter, quoted: delimiter === "," }));

/** Rows as `line: values` and problems as `line: !message`, easy to compare. */
function summary(rows: ReaderOutput[]): string[] {
  return rows.map((row) =>
    row.kind === "csv"
      ? `${row.line}: ${JSON.stringify(row.values)}`
      : row.kind === "problem"
        ? `${row.line}: !${row.message}`
        : `${row.line}: json`,
  );
}

describe("readCsv", () => {
  it("reads the header and yields each row with its values and line", async () => {
    const rows = await read("id,text\nr1,hello\nr2,world\n");
    expect(rows[0]).toEqual({ kind: "csv", line: 2, header: ["id", "text"], values: ["r1", "hello"] });
    expect(summary(rows)).toEqual(['2: ["r1","hello"]', '3: ["r2","world"]']);
  });

  it("keeps quoted fields with commas, doubled quotes and embedded newlines intact", async () => {
    const rows = await read('id,text\n1,"a, b ""quoted""\nsecond line"\n2,plain\n');
    expect(summary(rows)).toEqual(['2: ["1","a, b \\"quoted\\"\\nsecond line"]', '4: ["2","plain"]']);
  });

  it("numbers rows after multi-line fields by the line they start on", async () => {
    const text = 'id,text\n1,"one\ntwo\nthree"\n2,x\n3,"a\n\nb"\n4,y\n';
    expect(summary(await read(text))).toEqual([
      '2: ["1","one\\ntwo\\nthree"]',
      '5: ["2","x"]',
      '6: ["3","a\\n\\nb"]',
      '9: ["4","y"]',
    ]);
  });

  it("counts skipped blank lines, before and between rows", async () => {
    expect(summary(await read("\nid,text\n\n1,a\n\n\n2,b\n"))).toEqual(['4: ["1","a"]', '7: ["2","b"]']);
  });

  it("strips a byte-order mark from the first column name", async () => {
    const rows = await read("\uFEFFid,text\n1,a\n");
    expect(rows[0]).toMatchObject({ header: ["id", "text"] });
  });

  it("handles CRLF line endings, keeping CRLF inside quoted fields", async () => {
    const rows = await read('id,text\r\n1,"a\r\nb"\r\n2,c\r\n');
    expect(summary(rows)).toEqual(['2: ["1","a\\r\\nb"]', '4: ["2","c"]']);
  });

  it("numbers rows correctly in a CRLF file whose quoted fields hold CRLF line breaks", async () => {
    const text = 'id,text\r\n1,"a\r\nb\r\nc"\r\n2,"d\r\ne"\r\n3,f,ragged\r\n4,"g\r\n';
    expect(summary(await read(text, ",", 1))).toEqual(summary(await read(text)));
    expect(summary(await read(text))).toEqual([
      '2: ["1","a\\r\\nb\\r\\nc"]',
      '5: ["2","d\\r\\ne"]',
      "7: !row has 3 fields, the header has 2",
      "8: !malformed CSV: a quoted field in this row is never closed",
    ]);
  });

  it("keeps unicode intact across chunk boundaries", async () => {
    const text = "id,text\n1,Café crème 😊 naïve\n2,日本語のテキスト\n";
    const rows = await read(text, ",", 3);
    expect(summary(rows)).toEqual(['2: ["1","Café crème 😊 naïve"]', '3: ["2","日本語のテキスト"]']);
  });

  it("reports every ragged row with its line and field count, and keeps the good ones", async () => {
    const rows = await read("id,text\n1,a\n2,b,extra\n3\n4,d\n");
    expect(summary(rows)).toEqual([
      '2: ["1","a"]',
      "3: !row has 3 fields, the header has 2",
      "4: !row has 1 fields, the header has 2",
      '5: ["4","d"]',
    ]);
  });

  it("rejects a header that names a column twice", async () => {
    expect(summary(await read("id,text,text\n1,a,b\n"))).toEqual(['1: !header names column "text" twice']);
  });

  it("rejects a header with an empty column name", async () => {
    expect(summary(await read("id,,text\n1,a,b\n"))).toEqual(["1: !header column 2 has no name"]);
  });

  it("reports an unclosed quote at the line of the row that opens it", async () => {
    const rows = await read('id,text\n1,a\n\n2,"never closed\n3,c\n4,d\n');
    expect(summary(rows).at(-1)).toBe("4: !malformed CSV: a quoted field in this row is never closed");
    expect(rows.filter((r) => r.kind === "problem")).toHaveLength(1);
  });

  it("reports an unclosed quote at its row even deep into a large, chunked file", async () => {
    let text = "id,text\n";
    for (let i = 0; i < 2000; i++) text += `${i},"line one\nline two"\n`;
    text += '2000,"open\n2001,x\n';
    const problems = (await read(text, ",", 4096)).filter((r) => r.kind === "problem");
    expect(problems).toEqual([
      { kind: "problem", line: 4002, message: "malformed CSV: a quoted field in this row is never closed" },
    ]);
  });

  it("reports a stray quote inside an unquoted field at its line", async () => {
    const rows = await read('id,text\n1,a\n2,say "hi"\n');
    const problem = rows.find((r) => r.kind === "problem");
    expect(problem).toMatchObject({ line: 3 });
    expect(problem?.kind === "problem" && problem.message).toMatch(/^malformed CSV: /);
  });

  it("reads TSV, where quotes are ordinary characters", async () => {
    const rows = await read('id\ttext\n1\t"quoted"\n2\tsay "hi", twice\n', "\t");
    expect(summary(rows)).toEqual(['2: ["1","\\"quoted\\""]', '3: ["2","say \\"hi\\", twice"]']);
  });

  it("yields nothing for a header-only file", async () => {
    expect(await read("id,text\n")).toEqual([]);
  });

  it.each([
    ["id;text\n1;hi\n", ",", `the file looks ';'-delimited; give --delimiter ';'`],
    ["id|text\n1|hi\n", ",", "the file looks '|'-delimited; give --delimiter '|'"],
    ["id\ttext\n1\thi\n", ",", "the file looks tab-delimited; give --format tsv (or --delimiter tab)"],
    ["id,text\n1,hi\n", "\t", "the file looks comma-delimited; give --format csv (or --delimiter ',')"],
  ])("names the delimiter a one-column header hides in %j", async (text, delimiter, expected) => {
    const rows = await read(text, delimiter);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "problem", line: 1 });
    expect(rows[0]?.kind === "problem" && rows[0].message).toMatch(/^the header is one column, "id.text": /);
    expect(rows[0]?.kind === "problem" && rows[0].message).toContain(expected);
  });

  it("takes a one-column header at its word, with or without a delimiter given", async () => {
    expect(summary(await read("prompt\nhi; there\n"))).toEqual(['2: ["hi; there"]']);
    const given = await collect(
      readCsv(textStream("a;b\n1\n"), { delimiter: ",", quoted: true, explicit: true }),
    );
    expect(summary(given)).toEqual(['2: ["1"]']);
  });

  it("reads any one-character delimiter, with quotes", async () => {
    const rows = await collect(readCsv(textStream('id;text\n1;"a; b"\n'), { delimiter: ";", quoted: true }));
    expect(summary(rows)).toEqual(['2: ["1","a; b"]']);
  });
});
