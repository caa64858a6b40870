import { Command } from "commander";
import { ExitCode } from "../core/errors.js";
import { registerBatchCommands } from "./batch-commands.js";
import { registerEvalCommand } from "./eval-command.js";
import type { CliIo } from "./io.js";
import { registerMockServerCommand } from "./mock-server-command.js";
import { registerOptimizeCommand } from "./optimize-command.js";
import { registerReportCommand } from "./report-command.js";
import { registerRunCommand } from "./run-command.js";
import { registerStateCommands } from "./state-commands.js";
import { metasyncVersion } from "./version.js";
import { registerWorkerCommand } from "./worker-command.js";

/** Where the command that ran leaves its exit code (commander keeps no action's return value). */
export interface CommandOutcome {
  exitCode: number;
}

const EXIT_CODES = `Exit codes: ${ExitCode.ok} all items ok · ${ExitCode.itemsFailed} some items failed · \
${ExitCode.usage} usage or input error (nothing sent)
            ${ExitCode.stoppedEarly} stopped early, resumable · ${ExitCode.internal} internal error (a bug) · \
${ExitCode.pending} pending, run again later
            ${ExitCode.evalThreshold} eval below its threshold · ${ExitCode.interrupted} interrupted`;

/**
 * The `metasync` program, built but not parsed: it reads and writes only through `io`, and each
 * command leaves its exit code in `outcome`. Errors are not caught here; `runCli` has the one catch.
 */
export function createProgram(io: CliIo, outcome: CommandOutcome = { exitCode: ExitCode.ok }): Command {
  const program = new Command("metasync")
    .description(
      "Batch-process LLM prompts from a JSONL or CSV file: concurrently, within rate budgets, resumably, with cost reports.",
    )
    .version(metasyncVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError()
    // Before any command is added: subcommands inherit both.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
    })
    .addHelpText(
      "after",
      `
Examples:
  $ metasync run fixtures/reviews.csv -m mock:echo -t "Summarize: {{text}}" -o out.csv
  $ cat prompts.jsonl | metasync run - -m openai:gpt-4o-mini | jq -r .output
  $ metasync run tickets.csv -r recipes/classify.yaml -o labelled.csv

${EXIT_CODES}`,
    );

  registerRunCommand(program, io, outcome);
  registerEvalCommand(program, io, outcome);
  registerOptimizeCommand(program, io, outcome);
  registerStateCommands(program, io, outcome);
  registerReportCommand(program, io, outcome);
  registerMockServerCommand(program, io, outcome);
  registerWorkerCommand(program, io, outcome);
  registerBatchCommands(program, io, outcome);
  return program;
}

/** Help wraps to a terminal's width, and to commander's default of 80 anywhere else. */
function helpWidth(stream: NodeJS.WriteStream): number {
  return stream.isTTY ? stream.columns : 80;
}
