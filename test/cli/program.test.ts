import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { runCli } from "../../src/cli/run-cli.js";
import { ExitCode } from "../../src/core/errors.js";
import { StateStore } from "../../src/store/state-store.js";
import { memoryIo } from "./memory-io.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** A fresh directory holding an empty state database, `state.db`. */
function dirWithEmptyState(): string {
  const dir = mkdtempSync(join(tmpdir(), "metasync-cli-"));
  StateStore.open(join(dir, "state.db")).close();
  return dir;
}

describe("createProgram", () => {
  it("builds the program without parsing anything or writing anywhere", () => {
    const io = memoryIo(tmpdir());
    const program = createProgram(io);
    expect(program.name()).toBe("metasync");
    expect(program.commands.map((command) => command.name())).toEqual(
      expect.arrayContaining(["run", "runs", "status", "export", "report", "mock-server"]),
    );
    expect(io.stdoutText()).toBe("");
    expect(io.stderrText()).toBe("");
  });

  it("leaves the command's exit code in the outcome it is given", async () => {
    const cwd = dirWithEmptyState();
    const outcome = { exitCode: -1 };
    await createProgram(memoryIo(cwd), outcome).parseAsync(["runs", "--state", "state.db"], { from: "user" });
    expect(outcome.exitCode).toBe(ExitCode.ok);
  });
});

describe("runCli, in-process", () => {
  it("--version prints package.json's version and exits 0", async () => {
    const io = memoryIo(tmpdir());
    expect(await runCli(["--version"], io)).toBe(ExitCode.ok);
    expect(io.stdoutText()).toBe(`${version}\n`);
  });

  it("runs lists nothing on an empty state database, found relative to the given cwd", async () => {
    const cwd = dirWithEmptyState();
    const io = memoryIo(cwd);
    expect(await runCli(["runs", "--state", "state.db"], io)).toBe(ExitCode.ok);
    expect(io.stdoutText()).toBe("no runs yet\n");
    expect(io.stderrText()).toBe("");
  });

  it("finds the state database through the given environment's METASYNC_STATE", async () => {
    const cwd = dirWithEmptyState();
    const io = memoryIo(tmpdir(), { env: { METASYNC_STATE: join(cwd, "state.db") } });
    expect(await runCli(["runs"], io)).toBe(ExitCode.ok);
    expect(io.stdoutText()).toBe("no runs yet\n");
  });

  it("an unknown option is a usage error (2) naming it, with nothing on stdout", async () => {
    const io = memoryIo(tmpdir());
    expect(await runCli(["runs", "--stat", "x.db"], io)).toBe(ExitCode.usage);
    expect(io.stderrText()).toContain("--stat");
    expect(io.stdoutText()).toBe("");
  });

  it("a bad option value is a usage error (2)", async () => {
    const io = memoryIo(tmpdir());
    expect(await runCli(["run", "x.jsonl", "--max-tokens", "lots"], io)).toBe(ExitCode.usage);
    expect(io.stderrText()).toContain("--max-tokens must be a whole number");
  });

  it("a user error prints one line, `metasync: <message>`, no stack, and exits with its code", async () => {
    const cwd = dirWithEmptyState();
    const io = memoryIo(cwd);
    expect(await runCli(["status", "nope", "--state", "state.db"], io)).toBe(ExitCode.usage);
    expect(io.stderrText()).toBe(`metasync: no run "nope" in ${join(cwd, "state.db")} (see metasync runs)\n`);
    expect(io.stdoutText()).toBe("");
  });

  it("a user error of several lines prefixes each of them", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "metasync-cli-"));
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"fine"}\n{"prompt":""}\n{"prompt": nope}\n');
    const io = memoryIo(cwd);
    const args = ["run", join(cwd, "in.jsonl"), "-m", "mock:echo", "--state", join(cwd, "state.db")];
    expect(await runCli(args, io)).toBe(ExitCode.usage);
    const lines = io.stderrText().trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^metasync: \S/);
    expect(io.stderrText()).toMatch(/in\.jsonl:2: empty prompt/);
    expect(io.stderrText()).not.toMatch(/^\s+at /m);
  });

  it("an error that is not a user error is a bug: the stack, the versions, how to report it, 70", async () => {
    const cwd = dirWithEmptyState();
    const io = memoryIo(cwd, { stdoutThrows: new TypeError("stdout is broken") });
    expect(await runCli(["runs", "--state", "state.db"], io)).toBe(ExitCode.internal);
    const stderr = io.stderrText();
    expect(stderr).toMatch(/^metasync: unexpected error — this is a bug\n/);
    expect(stderr).toContain("TypeError: stdout is broken");
    expect(stderr).toMatch(/^\s+at .+/m);
    expect(stderr).toContain(`metasync ${version} · Node ${process.version}`);
    expect(stderr).toMatch(/Please report it/);
  });

  it("runs prompts from the given stdin to the given stdout", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "metasync-cli-"));
    const io = memoryIo(cwd, { stdin: '{"id":"a","prompt":"hello"}\n{"id":"b","prompt":"world"}\n' });
    const args = ["run", "-", "-m", "mock:echo", "--progress", "none", "--state", join(cwd, "state.db")];
    expect(await runCli(args, io), io.stderrText()).toBe(ExitCode.ok);
    const lines = io
      .stdoutText()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; output: string });
    expect(lines.map(({ id, output }) => [id, output])).toEqual([
      ["a", "hello"],
      ["b", "world"],
    ]);
    expect(io.exits).toEqual([]);

    // `export` writes where the given cwd says, not where the process happens to be.
    const runs = memoryIo(cwd);
    await runCli(["runs", "--state", "state.db"], runs);
    const runId = runs.stdoutText().split("\n")[1]?.split(" ")[0] ?? "";
    expect(await runCli(["export", runId, "-o", "out.jsonl", "--state", "state.db"], memoryIo(cwd))).toBe(
      ExitCode.ok,
    );
    expect(existsSync(join(cwd, "out.jsonl"))).toBe(true);
  });
});
