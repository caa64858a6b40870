import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../core/errors.js";
import { type CliIo, userPath } from "./io.js";
import type { CommandOutcome } from "./program.js";

export interface StateFlags {
  /** `--state`: the SQLite state database. */
  state?: string | undefined;
}

export interface ExportFlags extends StateFlags {
  out: string;
  format?: string | undefined;
}

/** `--state`, else `$METASYNC_STATE`, else `.metasync/state.db`, against the working directory. */
export function statePath(flags: StateFlags, io: CliIo): string {
  return resolve(io.cwd, flags.state ?? io.env.METASYNC_STATE ?? join(".metasync", "state.db"));
}

/** `metasync runs`: one line a run. */
export async function runsCommand(flags: StateFlags, io: CliIo): Promise<number> {
  const { listRunsText } = await import("../run/run-inspection.js");
  print(io, await listRunsText(statePath(flags, io)));
  return ExitCode.ok;
}

/** `metasync status <run>`: one run's progress and totals. */
export async function statusCommand(ref: string, flags: StateFlags, io: CliIo): Promise<number> {
  const { runStatusText } = await import("../run/run-inspection.js");
  print(io, await runStatusText(statePath(flags, io), ref));
  return ExitCode.ok;
}

/** `metasync export <run> -o <file>`: a run's results from the state database. */
export async function exportCommand(ref: string, flags: ExportFlags, io: CliIo): Promise<number> {
  const { exportRun } = await import("../run/run-inspection.js");
  print(io, await exportRun(statePath(flags, io), ref, userPath(io, flags.out), flags.format));
  return ExitCode.ok;
}

function print(io: CliIo, text: string): void {
  if (text !== "") io.stdout.write(text);
}

const stateOption = [
  "--state <file>",
  "SQLite state database (default .metasync/state.db, or $METASYNC_STATE)",
] as const;

/** `runs`, `status <run>` and `export <run>`: reading the state database. */
export function registerStateCommands(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("runs")
    .description("list the runs in the state database, newest first")
    .option(...stateOption)
    .action(async (flags: StateFlags) => {
      outcome.exitCode = await runsCommand(flags, io);
    });
  program
    .command("status")
    .description("one run's progress and totals")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .option(...stateOption)
    .action(async (ref: string, flags: StateFlags) => {
      outcome.exitCode = await statusCommand(ref, flags, io);
    });
  program
    .command("export")
    .description("write a run's results from the state database (.jsonl or .csv)")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .requiredOption("-o, --out <file>", "results file, .jsonl or .csv")
    .option("--format <f>", "metasync (default) or openai-batch (lines shaped like OpenAI Batch API output)")
    .option(...stateOption)
    .action(async (ref: string, flags: ExportFlags) => {
      outcome.exitCode = await exportCommand(ref, flags, io);
    });
}
