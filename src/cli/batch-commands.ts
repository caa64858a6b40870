import type { Command } from "commander";
import { ExitCode } from "../core/errors.js";
import { type CliIo, userPath } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { type StateFlags, stateOption, statePath } from "./state-path.js";

export interface BatchesFlags extends StateFlags {
  json?: boolean | undefined;
}

export interface CancelFlags extends StateFlags {
  keys?: string | undefined;
  baseUrl?: string | undefined;
}

/** `metasync batches [run]`: the provider batches of a run (or of every run). */
export async function batchesCommand(
  ref: string | undefined,
  flags: BatchesFlags,
  io: CliIo,
): Promise<number> {
  const { listBatches } = await import("../run/batch-inspection.js");
  io.stdout.write(await listBatches(statePath(flags, io), ref, flags.json ?? false));
  return ExitCode.ok;
}

/** `metasync cancel <run>`: cancels a run's open provider batches, keeping what they finished. */
export async function cancelCommand(ref: string, flags: CancelFlags, io: CliIo): Promise<number> {
  const [{ cancelRun }, { loadKeyFile }] = await Promise.all([
    import("../run/batch-inspection.js"),
    import("../keys/load-keys.js"),
  ]);
  const stop = new AbortController();
  const stopListening = io.onStopSignal(() => stop.abort());
  try {
    const outcome = await cancelRun(statePath(flags, io), ref, {
      env: io.env,
      keySpecs: flags.keys === undefined ? [] : loadKeyFile(userPath(io, flags.keys), io.env),
      baseUrl: flags.baseUrl,
      signal: stop.signal,
      emit: () => {},
    });
    io.stdout.write(outcome.text);
    return outcome.exitCode;
  } finally {
    stopListening();
  }
}

/** `batches [run]` and `cancel <run>`: provider batch mode's batches (design/batch.md). */
export function registerBatchCommands(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("batches")
    .description(
      "list provider batches (--via batch) of a run, or of every run: id, provider, model, status, counts, created, expires",
    )
    .argument("[run]", "run id (or a unique prefix of it) or --run name")
    .option(...stateOption)
    .option("--json", "a JSON array, one object a batch")
    .action(async (ref: string | undefined, flags: BatchesFlags) => {
      outcome.exitCode = await batchesCommand(ref, flags, io);
    });
  program
    .command("cancel")
    .description(
      "cancel a run's open provider batches; what they finished is kept, the rest goes back to the queue",
    )
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .option(...stateOption)
    .option("--keys <file>", "key pool file, when the run's keys came from one")
    .option("--base-url <url>", "the endpoint the run was sent to, when it was not the default")
    .action(async (ref: string, flags: CancelFlags) => {
      outcome.exitCode = await cancelCommand(ref, flags, io);
    });
}
