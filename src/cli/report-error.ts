import { inspect } from "node:util";
import { ExitCode, MetasyncError } from "../core/errors.js";

/** What a bug report names besides the stack: which metasync, on which Node, on which system. */
export interface BugReportContext {
  version: string;
  node: string;
  platform: string;
}

/**
 * How an error reaches the user, and the exit code it earns. A user error is its message, every line
 * prefixed `metasync: `, and exits with its own code. Anything else is a bug: the stack (with any
 * cause), the versions, how to report it, and `ExitCode.internal`.
 */
export function reportError(
  error: unknown,
  write: (text: string) => void,
  context: () => BugReportContext,
): ExitCode {
  if (error instanceof MetasyncError) {
    write(`metasync: ${error.message.replace(/\n/g, "\nmetasync: ")}\n`);
    return error.exitCode;
  }
  const { version, node, platform } = context();
  write(
    [
      "metasync: unexpected error — this is a bug",
      inspect(error),
      "",
      `metasync ${version} · Node ${node} · ${platform}`,
      "Please report it to the metasync maintainers with the command you ran and everything printed above.",
      "",
    ].join("\n"),
  );
  return ExitCode.internal;
}
