import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { checkDistinctOutputs } from "../../src/output/distinct-paths.js";

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "metasync-paths-"));
  writeFileSync(join(dir, "in.jsonl"), "{}\n");
  mkdirSync(join(dir, "real"));
  symlinkSync(join(dir, "real"), join(dir, "alias"));
  return dir;
}

describe("checkDistinctOutputs", () => {
  it("refuses an output that is the input under another name, naming both", () => {
    const dir = folder();
    symlinkSync(join(dir, "in.jsonl"), join(dir, "link.jsonl"));
    linkSync(join(dir, "in.jsonl"), join(dir, "hard.jsonl"));
    const input = { path: join(dir, "in.jsonl"), label: "the input" };
    for (const name of ["in.jsonl", "./in.jsonl", "real/../in.jsonl", "link.jsonl", "hard.jsonl"]) {
      const check = () => checkDistinctOutputs([{ path: join(dir, name), label: "-o" }], [input]);
      expect(check).toThrow(UsageError);
      expect(check).toThrow(`-o ${join(dir, name)} is the same file as the input ${input.path}`);
    }
  });

  it("compares files not there yet by their real directory", () => {
    const dir = folder();
    const state = { path: join(dir, "real", "state.db"), label: "the state database" };
    expect(() =>
      checkDistinctOutputs([{ path: join(dir, "alias", "state.db"), label: "--report" }], [state]),
    ).toThrow(/--report .* is the same file as the state database/);
    expect(() =>
      checkDistinctOutputs(
        [
          { path: join(dir, "real", "out"), label: "-o" },
          { path: join(dir, "alias", "out"), label: "--report" },
        ],
        [],
      ),
    ).toThrow(/--report .* is the same file as -o/);
  });

  it("accepts distinct files", () => {
    const dir = folder();
    expect(() =>
      checkDistinctOutputs(
        [
          { path: join(dir, "out.jsonl"), label: "-o" },
          { path: join(dir, "r.json"), label: "--report" },
        ],
        [
          { path: join(dir, "in.jsonl"), label: "the input" },
          { path: join(dir, "state.db"), label: "the state database" },
        ],
      ),
    ).not.toThrow();
  });
});
