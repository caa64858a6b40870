import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { reportError } from "../../src/cli/report-error.js";
import { runCli } from "../../src/cli/run-cli.js";
import {
  ConfigError,
  ExitCode,
  InputError,
  InterruptedError,
  StoppedEarlyError,
  UsageError,
} from "../../src/core/errors.js";
import { memoryIo } from "./memory-io.js";

const context = () => ({ version: "9.9.9", node: "v99.0.0", platform: "testos x64" });

describe("the exit-code policy", () => {
  it("gives each outcome its own code", () => {
    const codes = Object.values(ExitCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(ExitCode.internal).not.toBe(ExitCode.itemsFailed);
  });

  it("uses the codes DESIGN §2 names, sysexits' where one fits", () => {
    expect(ExitCode).toEqual({
      ok: 0,
      itemsFailed: 1,
      usage: 2,
      stoppedEarly: 3,
      internal: 70, // EX_SOFTWARE
      pending: 75, // EX_TEMPFAIL
      evalThreshold: 100,
      interrupted: 130, // 128 + SIGINT
    });
  });

  it("gives each user error the code of what went wrong", () => {
    expect(new UsageError("x").exitCode).toBe(ExitCode.usage);
    expect(new ConfigError("x").exitCode).toBe(ExitCode.usage);
    expect(new InputError([{ file: "in.jsonl", line: 2, message: "empty prompt" }]).exitCode).toBe(
      ExitCode.usage,
    );
    expect(new StoppedEarlyError("x").exitCode).toBe(ExitCode.stoppedEarly);
    expect(new InterruptedError().exitCode).toBe(ExitCode.interrupted);
  });

  it("is listed in full by --help", async () => {
    const io = memoryIo(tmpdir());
    expect(await runCli(["--help"], io)).toBe(ExitCode.ok);
    const section = io.stdoutText().slice(io.stdoutText().indexOf("Exit codes:"));
    for (const code of Object.values(ExitCode))
      expect(section).toMatch(new RegExp(`(: | · |\\n\\s+)${code} `));
  });
});

describe("reportError", () => {
  it("prints a user error as its message, each line prefixed, and returns its code", () => {
    let text = "";
    const problems = [
      { file: "in.jsonl", line: 2, message: "empty prompt" },
      { file: "in.jsonl", line: 3, message: "malformed JSON" },
    ];
    expect(reportError(new InputError(problems), (t) => (text += t), context)).toBe(ExitCode.usage);
    expect(text).toBe("metasync: in.jsonl:2: empty prompt\nmetasync: in.jsonl:3: malformed JSON\n");
  });

  it("reports anything else as a bug with the stack, its cause and the versions, and returns 70", () => {
    let text = "";
    const error = new RangeError("index out of range", { cause: new Error("the root of it") });
    expect(reportError(error, (t) => (text += t), context)).toBe(ExitCode.internal);
    expect(text).toMatch(
      /^metasync: unexpected error — this is a bug\nRangeError: index out of range\n\s+at /,
    );
    expect(text).toContain("the root of it");
    expect(text).toContain("metasync 9.9.9 · Node v99.0.0 · testos x64");
    expect(text).toMatch(/Please report it .*with the command you ran/);
  });

  it("treats a thrown value that is not an Error as a bug too", () => {
    let text = "";
    expect(reportError("a string", (t) => (text += t), context)).toBe(ExitCode.internal);
    expect(text).toContain("this is a bug\n'a string'\n");
  });
});
