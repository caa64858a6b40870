import type { Command } from "commander";
import { ExitCode } from "../core/errors.js";
import { type CliIo, userPath } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { registerPruneCommand } from "./prune-command.js";
import { type StateFlags, stateOption, statePath, thisProcess } from "./state-path.js";

export { type StateFlags, statePath } from "./state-path.js";

export interface InspectFlags extends StateFlags {
  /** `--json`: one JSON document instead of aligned text. */
  json?: boolean | undefined;
}

export interface ExportFlags extends StateFlags {
  /** The results file, or `-` for stdout. */
  out: string;
  format?: string | undefined;
  /** `--failed`: only the items that failed. */
  failed?: boolean | undefined;
}

/** `metasync runs`: one line a run. */
export async function runsCommand(flags: InspectFlags, io: CliIo): Promise<number> {
  const { listRuns } = await import("../run/run-inspection.js");
  print(io, await listRuns(statePath(flags, io), thisProcess(), flags.json ? "json" : "text"));
  return ExitCode.ok;
}

/** `metasync status <run>`: one run's progress and totals; who sends it, its rate and ETA. */
export async function statusCommand(ref: string, flags: InspectFlags, io: CliIo): Promise<number> {
  const { runStatus } = await import("../run/run-inspection.js");
  print(io, await runStatus(statePath(flags, io), ref, thisProcess(), flags.json ? "json" : "text"));
  return ExitCode.ok;
}

/** `metasync export <run> -o <file>` (`-o -`: stdout): a run's results from the state database. */
export async function exportCommand(ref: string, flags: ExportFlags, io: CliIo): Promise<number> {
  const { exportRun } = await import("../run/run-inspection.js");
  const out = flags.out === "-" ? undefined : userPath(io, flags.out);
  await exportRun(statePath(flags, io), ref, {
    out,
    stdout: io.stdout,
    format: flags.format,
    failedOnly: flags.failed,
  });
  return ExitCode.ok;
}

function print(io: CliIo, text: string): void {
  if (text !== "") io.stdout.write(text);
}

/** `runs`, `status <run>`, `export <run>` and `prune`: reading and tidying the state database. */
export function registerStateCommands(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("runs")
    .description("list the runs in the state database, newest first")
    .option(...stateOption)
    .option("--json", "a JSON array: run_id, name, status, items, model, input, created_at, updated_at")
    .action(async (flags: InspectFlags) => {
      outcome.exitCode = await runsCommand(flags, io);
    });
  program
    .command("status")
    .description("one run's progress and totals; for a running run, its process, rate and ETA")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .option(...stateOption)
    .option("--json", "one JSON object (fields in the README)")
    .action(async (ref: string, flags: InspectFlags) => {
      outcome.exitCode = await statusCommand(ref, flags, io);
    });
  program
    .command("export")
    .description("write a run's results from the state database (.jsonl or .csv, or - for stdout)")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .requiredOption("-o, --out <file>", "results file, .jsonl or .csv; - writes to stdout")
    .option(
      "--format <f>",
      "metasync (default), openai-batch (lines shaped like OpenAI Batch API output) or csv",
    )
    .option("--failed", "only the items that failed")
    .option(...stateOption)
    .action(async (ref: string, flags: ExportFlags) => {
      outcome.exitCode = await exportCommand(ref, flags, io);
    });
  registerPruneCommand(program, io, outcome);
}
