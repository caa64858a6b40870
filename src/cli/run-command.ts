import { type Command, InvalidArgumentError, Option } from "commander";
import {
  type OptionSpec,
  parseOptionText,
  RUN_OPTIONS,
  type RunOptionValues,
} from "../recipe/option-table.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";

/** `metasync run <input>`: argv to typed options, then `runCommand` (loaded only now) does the work. */
export function registerRunCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const command = program
    .command("run")
    .description("process a prompt file (JSONL, CSV or TSV; '-' reads JSONL from stdin)")
    .argument("<input>", "prompt file, or - for stdin")
    .option(
      "-r, --recipe <file>",
      "YAML recipe holding any of these options plus template/system; flags override it",
    );
  addOptions(command, RUN_OPTIONS);
  command.addHelpText(
    "after",
    `
Input rows (JSONL): OpenAI Batch API lines, {"messages": [...]}, {"prompt": "..."}, or any object with --template.
CSV/TSV rows: a "prompt" column, or any columns with --template. Ids: custom_id, id, request_id, an "id" column,
else the row number. Every row is checked before anything is sent.

Examples:
  $ metasync run fixtures/reviews.csv -m mock:echo -t "Summarize: {{text}}" -o out.csv
  $ cat prompts.jsonl | metasync run - -m mock:echo | jq -r .output
  $ metasync run questions.jsonl -m openai:gpt-4o-mini --temperature 0 -c 16 -o answers.jsonl
  $ metasync run tickets.csv -r recipes/classify.yaml -m anthropic:claude-haiku-4-5 -o labelled.csv`,
  );
  command.action(async (input: string, _options: unknown, cmd: Command) => {
    const { runCommand } = await import("./run-action.js");
    outcome.exitCode = await runCommand(
      input,
      {
        options: givenOptions(cmd, RUN_OPTIONS) as RunOptionValues,
        recipe: cmd.getOptionValue("recipe") as string | undefined,
      },
      io,
    );
  });
}

/** Adds options of the table to a command: repeatable lists, and numbers checked as they are parsed. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): void {
  for (const spec of specs) {
    const option = new Option(spec.flags, spec.description);
    if (spec.type === "string[]") {
      option.argParser((text: string, previous: string[] | undefined) => [...(previous ?? []), text]);
    } else if (spec.type === "number" || spec.type === "integer") {
      option.argParser((text: string) => {
        const parsed = parseOptionText(spec, text);
        if ("problem" in parsed) throw new InvalidArgumentError(parsed.problem);
        return parsed.value;
      });
    }
    command.addOption(option);
  }
}

/** The options of the table given on the command line (not defaults): what overrides a recipe or config. */
export function givenOptions(cmd: Command, specs: readonly OptionSpec[]): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const spec of specs) {
    if (cmd.getOptionValueSource(spec.key) === "cli") given[spec.key] = cmd.getOptionValue(spec.key);
  }
  return given;
}
