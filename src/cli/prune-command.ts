import { type Command, InvalidArgumentError } from "commander";
import { ExitCode, UsageError } from "../core/errors.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { type StateFlags, stateOption, statePath, thisProcess } from "./state-path.js";

export interface PruneFlags extends StateFlags {
  /** `--older-than 7d`, in milliseconds. */
  olderThan?: number | undefined;
  allFinished?: boolean | undefined;
  dryRun?: boolean | undefined;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `12h`, `7d`, `2w` as milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (!match || unit === undefined) {
    throw new InvalidArgumentError(
      `expected a number and a unit (s, m, h, d, w), e.g. 7d or 12h, got "${text}"`,
    );
  }
  return Number(match[1]) * unit;
}

/** `metasync prune`: deletes finished runs, then compacts the state database. */
export async function pruneCommand(flags: PruneFlags, io: CliIo): Promise<number> {
  if ((flags.olderThan === undefined) === !flags.allFinished) {
    throw new UsageError("prune needs one of --older-than <age> (e.g. 7d) or --all-finished");
  }
  const { pruneRuns } = await import("../run/prune-runs.js");
  const outcome = await pruneRuns(statePath(flags, io), {
    olderThanMs: flags.olderThan,
    dryRun: flags.dryRun ?? false,
    viewer: thisProcess(),
  });
  io.stdout.write(outcome.text);
  if (outcome.warning !== undefined) io.stderr.write(`metasync: warning: ${outcome.warning}\n`);
  return ExitCode.ok;
}

export function registerPruneCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("prune")
    .description(
      "delete finished runs (and cached answers no other run uses) from the state database, then compact it",
    )
    .option(
      "--older-than <age>",
      "finished runs last changed this long ago or more: 7d, 12h, 30m, 2w",
      parseAge,
    )
    .option("--all-finished", "every finished run, however recent")
    .option("--dry-run", "list the runs that would go; delete nothing")
    .option(...stateOption)
    .addHelpText(
      "after",
      `
Unfinished runs are never deleted, nor a run another metasync is printing. Export what you want to keep
first: metasync export <run> -o results.jsonl.`,
    )
    .action(async (flags: PruneFlags) => {
      outcome.exitCode = await pruneCommand(flags, io);
    });
}
