import { type Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { type CliIo, userPath } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { type StateFlags, statePath } from "./state-commands.js";

export interface ReportFlags extends StateFlags {
  format?: "md" | "json" | undefined;
  out?: string | undefined;
  prices?: string | undefined;
}

/** `metasync report <run>`: a run's cost and performance report from the state database (DESIGN §7). */
export async function reportCommand(ref: string, flags: ReportFlags, io: CliIo): Promise<number> {
  if (flags.out !== undefined) {
    const { checkReportName } = await import("../report/report-format.js");
    checkReportName(flags.out, flags.format);
  }
  const { reportCommand: storedRunReportText } = await import("../report/stored-run-report.js");
  const text = await storedRunReportText({
    statePath: statePath(flags, io),
    ref,
    format: flags.format,
    out: flags.out === undefined ? undefined : userPath(io, flags.out),
    prices: flags.prices === undefined ? undefined : userPath(io, flags.prices),
  });
  if (text !== "") io.stdout.write(text);
  return ExitCode.ok;
}

export function registerReportCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("report")
    .description("a run's cost and performance report: Markdown tables or JSON")
    .argument("<run>", "run id (or a unique prefix of it) or --run name")
    .addOption(
      new Option("--format <format>", "md or json (default: from the -o file's extension, else md)").choices([
        "md",
        "json",
      ]),
    )
    .option("-o, --out <file>", "write the report to this file (.md or .json) instead of stdout")
    .option("--prices <file>", "price overrides (YAML or JSON) for items stored without a cost")
    .option("--state <file>", "SQLite state database (default .metasync/state.db, or $METASYNC_STATE)")
    .action(async (ref: string, flags: ReportFlags) => {
      outcome.exitCode = await reportCommand(ref, flags, io);
    });
}
