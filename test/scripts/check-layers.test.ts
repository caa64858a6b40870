import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without types
import { layerViolations } from "../../scripts/check-layers.mjs";

const root = new URL("../..", import.meta.url).pathname;

/** A tree of files under a fresh directory. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "layers-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, "providers"), { recursive: true });
  return dir;
}

describe("scripts/check-layers.mjs", () => {
  it("finds no import pointing the wrong way in this repository", () => {
    expect(layerViolations(root)).toEqual([]);
  });

  it("names the file, the line and the rule when the engine imports the CLI", () => {
    const dir = tree({
      "src/cli/program.ts": "export const program = 1;\n",
      "src/engine/run-batch.ts":
        'import type { Clock } from "../core/clock.js";\nimport { program } from "../cli/program.js";\n',
      "src/core/clock.ts": "export interface Clock {}\n",
    });
    expect(layerViolations(dir)).toEqual([
      'src/engine/run-batch.ts:2: engine/ may not import cli/ (rule: engine → core): "../cli/program.js"',
    ]);
  });

  it("reports two folders that import each other, and fails the command", () => {
    const dir = tree({
      "src/keys/a.ts": 'import { b } from "../limits/b.js";\nexport const a = b;\n',
      "src/limits/b.ts": 'import { a } from "../keys/a.js";\nexport const b = a;\n',
    });
    const problems: string[] = layerViolations(dir);
    expect(problems.some((p) => p.includes("limits/ may not import keys/"))).toBe(true);
    expect(problems.some((p) => p.includes("import each other"))).toBe(true);
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [join(root, "scripts/check-layers.mjs"), dir], { stdio: "pipe" });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toContain("import(s) point the wrong way");
  });
});
