import { join, resolve } from "node:path";
import { type Command, Option } from "commander";

interface ReportFlags {
  state?: string;
  format?: "md" | "json";
  out?: string;
  prices?: string;
}

/** `metasync report <run>`: a run's cost and performance report from the state database (DESIGN §7). */
export function registerReportCommand(program: Command): void {
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
      const { reportError } = await import("./report-error.js");
      try {
        const { reportCommand } = await import("../report/stored-run-report.js");
        const text = await reportCommand({
          statePath: resolve(flags.state ?? process.env.METASYNC_STATE ?? join(".metasync", "state.db")),
          ref,
          format: flags.format,
          out: flags.out,
          prices: flags.prices,
        });
        if (text !== "") process.stdout.write(text);
      } catch (error) {
        process.exitCode = reportError(error, (message) => process.stderr.write(message));
      }
    });
}
