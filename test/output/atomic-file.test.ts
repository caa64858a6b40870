import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { OutputFileError, writeFileAtomically } from "../../src/output/atomic-file.js";

describe("writeFileAtomically", () => {
  it("replaces the file with everything written, leaving no temporary file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    const path = join(dir, "out.jsonl");
    writeFileSync(path, "old\n");
    await writeFileAtomically(path, async (out) => {
      for (let i = 0; i < 20_000; i++) await out.write(`line ${i} ${"x".repeat(20)}\n`);
    });
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(20_001);
    expect(lines[19_999]).toBe(`line 19999 ${"x".repeat(20)}`);
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
  });

  it("keeps the old file and removes the temporary one when the writer throws", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    const path = join(dir, "out.csv");
    writeFileSync(path, "previous results\n");
    const failing = writeFileAtomically(path, async (out) => {
      await out.write("half of the new ");
      await out.write("x".repeat(100_000));
      throw new Error("disk on fire");
    });
    await expect(failing).rejects.toThrow("disk on fire");
    expect(readFileSync(path, "utf8")).toBe("previous results\n");
    expect(readdirSync(dir)).toEqual(["out.csv"]);
  });

  it("creates no file at all when the first write fails and there was none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    await expect(
      writeFileAtomically(join(dir, "new.jsonl"), async () => {
        throw new Error("nothing to write");
      }),
    ).rejects.toThrow("nothing to write");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports a missing directory as a user error, even when the writer is slow to start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    const path = join(dir, "missing", "out.jsonl");
    const failing = writeFileAtomically(path, async (out) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await out.write("x\n");
    });
    await expect(failing).rejects.toThrow(UsageError);
    await expect(failing).rejects.toThrow(
      `${path}: cannot write the results file: no such directory ${join(dir, "missing")}`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the permission bits of the file it replaces", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    const path = join(dir, "out.jsonl");
    writeFileSync(path, "old\n");
    chmodSync(path, 0o600);
    await writeFileAtomically(path, (out) => out.write("new\n"));
    expect(readFileSync(path, "utf8")).toBe("new\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o640);
    await writeFileAtomically(path, (out) => out.write("newer\n"));
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it("removes the file's temporary files that dead processes left, and no others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    const orphans = [".out.jsonl.0123abcd.tmp", `.out.jsonl.${gone}-0123abcd.tmp`];
    const others = [`.out.jsonl.${process.pid}-0123abcd.tmp`, ".out.jsonl.bak", ".other.jsonl.0123abcd.tmp"];
    for (const name of [...orphans, ...others]) writeFileSync(join(dir, name), "partial");
    await writeFileAtomically(join(dir, "out.jsonl"), (out) => out.write("x\n"));
    expect(readdirSync(dir).sort()).toEqual(["out.jsonl", ...others].sort());
  });

  it("names the file and says it is a directory when one stands in its place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-atomic-"));
    mkdirSync(join(dir, "out.jsonl"));
    const failing = writeFileAtomically(join(dir, "out.jsonl"), (out) => out.write("x\n"), {
      what: "the report",
    });
    await expect(failing).rejects.toThrow(OutputFileError);
    await expect(failing).rejects.toThrow(
      `${join(dir, "out.jsonl")}: cannot write the report: it is a directory`,
    );
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
  });
});
