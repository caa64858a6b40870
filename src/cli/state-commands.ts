import { join, resolve } from "node:path";
import type { Command } from "commander";

interface StateFlags {
  state?: string;
}

function statePath(flags: StateFlags): string {
  return resolve(flags.state ?? process.env.METASYNC_STATE ?? join(".metasync", "state.db"));
}

const stateOption = [
  "--state <file>",
  "SQLite state database (default .metasync/state.db, or $METASYNC_STATE)",
] as const;

/** `runs`, `status <run>` and `export <run>`: reading the state database. */
export function registerStateCommands(program: Command): void {
  program
    .command("runs")
    .description("list the runs in the state database, newest first")
    .option(...stateOption)
    .action(async (flags: StateFlags) => {
      const { listRunsText } = await import("../run/run-inspection.js");
      await runCommand(() => listRunsText(statePath(flags)));
    });
  program
    .command("status")
    .description("one run's progress and totals")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .option(...stateOption)
    .action(async (ref: string, flags: StateFlags) => {
      const { runStatusText } = await import("../run/run-inspection.js");
      await runCommand(() => runStatusText(statePath(flags), ref));
    });
  program
    .command("export")
    .description("write a run's results from the state database (.jsonl or .csv)")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .requiredOption("-o, --out <file>", "results file, .jsonl or .csv")
    .option("--format <f>", "metasync (default) or openai-batch (lines shaped like OpenAI Batch API output)")
    .option(...stateOption)
    .action(async (ref: string, flags: StateFlags & { out: string; format?: string }) => {
      const { exportRun } = await import("../run/run-inspection.js");
      await runCommand(() => exportRun(statePath(flags), ref, flags.out, flags.format));
    });
}

async function runCommand(work: () => string | Promise<string>): Promise<void> {
  const { reportError } = await import("./report-error.js");
  try {
    const text = await work();
    if (text !== "") process.stdout.write(text);
  } catch (error) {
    process.exitCode = reportError(error, (message) => process.stderr.write(message));
  }
}
