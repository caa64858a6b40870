import type * as fs from "node:fs";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { OutputFileError, writeFileAtomically } from "../../src/output/atomic-file.js";

/** Files written through createWriteStream hold this many bytes before the disk is full. */
const ROOM = 100_000;

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const enospc = () =>
    Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });
  return {
    ...real,
    createWriteStream: (...args: Parameters<typeof real.createWriteStream>) => {
      const stream = real.createWriteStream(...args);
      let written = 0;
      const full = (bytes: number, go: () => void, callback: (error?: Error | null) => void) => {
        written += bytes;
        if (written > ROOM) callback(enospc());
        else go();
      };
      const write = stream._write.bind(stream);
      stream._write = (chunk, encoding, callback) =>
        full(chunk.length, () => write(chunk, encoding, callback), callback);
      const writev = stream._writev?.bind(stream);
      if (writev) {
        stream._writev = (chunks, callback) =>
          full(
            chunks.reduce((sum, { chunk }) => sum + (chunk as Buffer).length, 0),
            () => writev(chunks, callback),
            callback,
          );
      }
      return stream;
    },
  };
});

describe("writeFileAtomically on a full disk", () => {
  it("fails with the file and 'the disk is full', keeps the old file and leaves no temporary file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-full-"));
    const path = join(dir, "out.jsonl");
    writeFileSync(path, "previous results\n");
    const failing = writeFileAtomically(path, async (out) => {
      for (let i = 0; i < 20_000; i++) await out.write(`line ${i} ${"x".repeat(40)}\n`);
    });
    await expect(failing).rejects.toThrow(OutputFileError);
    await expect(failing).rejects.toThrow(`${path}: cannot write the results file: the disk is full`);
    expect(readFileSync(path, "utf8")).toBe("previous results\n");
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
  });

  it("fails when a write the stream had accepted fails later", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-full-"));
    const path = join(dir, "out.jsonl");
    // Small writes the stream takes without asking to wait, then one past the room left.
    const failing = writeFileAtomically(path, async (out) => {
      await out.write("x".repeat(ROOM - 10));
      await out.drain();
      await new Promise((resolve) => setTimeout(resolve, 10));
      await out.write("y".repeat(100));
      await out.drain();
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 10; i++) {
        await out.write("z".repeat(70_000));
      }
    });
    await expect(failing).rejects.toThrow("the disk is full");
    expect(readdirSync(dir)).toEqual([]);
  });
});
