import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { StreamedLines } from "../../src/output/streamed-lines.js";

/** A reader that takes a write only when `release` is called, like a pipe whose reader is slow. */
function slowReader() {
  const held: ((error?: Error | null) => void)[] = [];
  const received: string[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk.toString());
      held.push(callback);
    },
  });
  return {
    stream,
    received,
    release: () => held.shift()?.(),
    fail: () => held.shift()?.(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })),
  };
}

const lines = (...indexes: number[]) => indexes.map((index) => ({ index, text: `line ${index}\n` }));
const REPORT_MS = 5;
const reported = () => new Promise((resolve) => setTimeout(resolve, REPORT_MS * 4));

describe("StreamedLines", () => {
  it("reports a line printed only once its write completed, not when it was queued", async () => {
    const reader = slowReader();
    const printed: number[] = [];
    const out = new StreamedLines(reader.stream, (indexes) => printed.push(...indexes), REPORT_MS);
    out.write(lines(0, 1));
    out.write(lines(2));
    out.write(lines(3));
    await reported();
    expect(printed).toEqual([]);
    reader.release();
    await reported();
    expect(printed).toEqual([0, 1]);
    reader.release();
    reader.release();
    await out.settled();
    expect(printed).toEqual([0, 1, 2, 3]);
  });

  it("never reports a line whose write failed (the reader went away)", async () => {
    const reader = slowReader();
    reader.stream.on("error", () => {});
    const printed: number[] = [];
    const out = new StreamedLines(reader.stream, (indexes) => printed.push(...indexes));
    out.write(lines(0));
    out.write(lines(1));
    out.write(lines(2));
    reader.release();
    reader.fail();
    await out.settled();
    expect(printed).toEqual([0]);
    expect(out.closed).toBe(true);
    await out.drained();
  });

  it("settles at once when nothing is in flight, and reports what completed in one group", async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const groups: number[][] = [];
    const out = new StreamedLines(stream, (indexes) => groups.push([...indexes]));
    await out.settled();
    out.write(lines(0, 1));
    out.write(lines(2));
    await out.settled();
    expect(chunks).toEqual(["line 0\nline 1\n", "line 2\n"]);
    expect(groups).toEqual([[0, 1, 2]]);
  });
});
