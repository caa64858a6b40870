import { arch, platform } from "node:os";
import { CommanderError } from "commander";
import { ExitCode } from "../core/errors.js";
import { type CliIo, processIo } from "./io.js";
import { type CommandOutcome, createProgram } from "./program.js";
import { type BugReportContext, reportError } from "./report-error.js";
import { metasyncVersion } from "./version.js";

/**
 * Runs metasync on `args` (the arguments after the program's name) and returns the exit code. The
 * one place an error thrown by a command reaches the user.
 */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const outcome: CommandOutcome = { exitCode: ExitCode.ok };
  try {
    await createProgram(io, outcome).parseAsync([...args], { from: "user" });
    return outcome.exitCode;
  } catch (error) {
    // commander has printed its own message; help and --version are not errors.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return reportError(error, (text) => io.stderr.write(text), bugReportContext);
  }
}

/** Which metasync, Node and system a bug report comes from. */
export function bugReportContext(): BugReportContext {
  let version: string;
  try {
    version = metasyncVersion();
  } catch {
    version = "(version unknown)";
  }
  return { version, node: process.version, platform: `${platform()} ${arch()}` };
}
