import { ExitCode, MetasyncError } from "../core/errors.js";

/**
 * The one place errors reach the user: a user error as its message (no stack), anything else with
 * its stack and where to report it. Returns the exit code.
 */
export function reportError(error: unknown, write: (text: string) => void): number {
  if (error instanceof MetasyncError) {
    write(`metasync: ${error.message.replace(/\n/g, "\nmetasync: ")}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(
    `metasync: unexpected error — this is a bug; please report it with the command you ran.\n${detail}\n`,
  );
  return ExitCode.itemsFailed;
}
