import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, ROOT, runCli } from "./cli.js";

beforeAll(assertBuilt);

const cwd = mkdtempSync(join(tmpdir(), "metasync-help-"));

/** The `run` options of DESIGN §2 that this version implements, as `[short, long]`. */
const RUN_OPTIONS: [string | undefined, string][] = [
  ["-m", "--model"],
  ["-t", "--template"],
  [undefined, "--system"],
  [undefined, "--base-url"],
  [undefined, "--temperature"],
  [undefined, "--max-tokens"],
  [undefined, "--top-p"],
  [undefined, "--stop"],
  [undefined, "--seed"],
  [undefined, "--format"],
  ["-o", "--out"],
  ["-c", "--concurrency"],
  [undefined, "--max-attempts"],
  [undefined, "--timeout"],
  ["-r", "--recipe"],
  [undefined, "--out-format"],
  [undefined, "--fallback"],
  [undefined, "--tpm"],
  [undefined, "--rpm"],
  [undefined, "--keys"],
  [undefined, "--strategy"],
  [undefined, "--stream"],
  [undefined, "--prices"],
  [undefined, "--max-cost"],
  [undefined, "--dry-run"],
  [undefined, "--report"],
  [undefined, "--state"],
  [undefined, "--run"],
  [undefined, "--fresh"],
  [undefined, "--no-cache"],
  [undefined, "--retry-failed"],
  [undefined, "--progress"],
];

describe.concurrent("help and version", () => {
  it("--help lists the run command, the options and the exit codes", async () => {
    const result = await runCli(["--help"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: metasync /);
    expect(result.stdout).toMatch(/\n\s+run \[options\] <input>/);
    for (const command of ["runs", "status", "export", "report", "mock-server"]) {
      expect(result.stdout).toMatch(new RegExp(`\\n\\s+${command}\\b`));
    }
    expect(result.stdout).toContain("--version");
    expect(result.stdout).toContain("--help");
    expect(result.stdout).toMatch(/Exit codes: 0 .*1 .*2 /s);
    expect(result.stdout).toMatch(
      /Exit codes: .*\b3 .*\b70 internal error .*\b75 .*\b100 .*\b130 interrupted/s,
    );
  });

  it("run --help describes every option, with its short form", async () => {
    const result = await runCli(["run", "--help"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: metasync run \[options\] <input>/);
    for (const [short, long] of RUN_OPTIONS) {
      const line = result.stdout.split("\n").find((l) => new RegExp(`(^|[ ,])${long}\\b`).test(l));
      expect(line, `${long} is missing from run --help`).toBeDefined();
      if (short) expect(line).toContain(`${short}, ${long}`);
    }
    expect(result.stdout).toContain("metasync run fixtures/reviews.csv -m mock:echo");
  });

  it("--version and -V print package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it("an unknown option is a usage error (exit 2) that names it", async () => {
    const result = await runCli(["run", "x.jsonl", "--temprature", "0"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--temprature");
    expect(result.stdout).toBe("");
  });

  it("a flag with a bad value is a usage error (exit 2)", async () => {
    const result = await runCli(["run", "x.jsonl", "-m", "mock:echo", "--max-tokens", "lots"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--max-tokens must be a whole number");
  });
});
