import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HEAVY_PACKAGES, tracePackages } from "../support/load-trace/loaded-packages.mjs";
import { assertBuilt, ROOT, workDir } from "./cli.js";

beforeAll(assertBuilt);

const BIN = join(ROOT, "bin", "metasync.js");

describe.concurrent("start-up loads only what the command needs", () => {
  for (const args of [["--version"], ["--help"], ["run", "--help"]]) {
    it(`metasync ${args.join(" ")} loads none of ${HEAVY_PACKAGES.join(", ")}`, () => {
      const result = tracePackages([BIN, ...args]);
      expect(result.status, result.stderr).toBe(0);
      // The trace works: commander is what these commands do load.
      expect(result.packages).toContain("commander");
      for (const name of HEAVY_PACKAGES) expect(result.packages, `${name} was loaded`).not.toContain(name);
    });
  }

  it("a plain run loads the store but neither the dashboard nor the bar", () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"hi"}\n');
    const result = tracePackages(
      [BIN, "run", "in.jsonl", "-m", "mock:echo", "-o", "out.jsonl", "--progress", "plain"],
      { cwd },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.packages).toContain("better-sqlite3");
    for (const name of ["ink", "react", "cli-progress", "openai", "@anthropic-ai/sdk"]) {
      expect(result.packages, `${name} was loaded`).not.toContain(name);
    }
  });

  it("the dashboard does load ink and React (so the checks above can see them)", () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"hi"}\n');
    const result = tracePackages(
      [BIN, "run", "in.jsonl", "-m", "mock:echo", "-o", "out.jsonl", "--progress", "tui"],
      { cwd },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.packages).toEqual(expect.arrayContaining(["ink", "react"]));
  });
});
