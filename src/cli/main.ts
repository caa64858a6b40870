import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerMockServerCommand } from "./mock-server-command.js";
import { registerReportCommand } from "./report-command.js";
import { reportError } from "./report-error.js";
import { registerRunCommand } from "./run-command.js";
import { registerStateCommands } from "./state-commands.js";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command("metasync")
  .description(
    "Batch-process LLM prompts from a JSONL or CSV file: concurrently, within rate budgets, resumably, with cost reports.",
  )
  .version(version, "-V, --version", "print the version")
  .helpOption("-h, --help", "show help")
  .showSuggestionAfterError()
  .exitOverride()
  .addHelpText(
    "after",
    `
Examples:
  $ metasync run fixtures/reviews.csv -m mock:echo -t "Summarize: {{text}}" -o out.csv
  $ cat prompts.jsonl | metasync run - -m openai:gpt-4o-mini | jq -r .output
  $ metasync run tickets.csv -r recipes/classify.yaml -o labelled.csv

Exit codes: 0 all items ok · 1 some items failed · 2 usage or input error (nothing sent)
            3 stopped early, resumable · 130 interrupted`,
  );

registerRunCommand(program);
registerStateCommands(program);
registerReportCommand(program);
registerMockServerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its message already; help and version are not errors.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, (text) => process.stderr.write(text));
  }
}
