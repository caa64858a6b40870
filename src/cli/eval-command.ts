import type { Command } from "commander";
import { type OptionSpec, type RunOptionValues, sendingOptions } from "../recipe/option-table.js";
import { registerEvalCompareCommand } from "./eval-compare-command.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { addOptions, givenOptions } from "./run-command.js";

/** `run`'s options an eval takes, with the same names and meanings (design/eval.md "Command"). */
const SENDING_OPTIONS: readonly OptionSpec[] = sendingOptions("run", "cache");

/** eval's own options. */
const EVAL_OPTIONS: readonly OptionSpec[] = [
  {
    key: "model",
    flags: "-m, --model <provider:model>",
    type: "string[]",
    inRecipe: false,
    description: "repeatable; replaces the config's providers (promptfoo ids accepted)",
  },
  {
    key: "output",
    flags: "-o, --output <file>",
    type: "string[]",
    inRecipe: false,
    description:
      "repeatable; by extension: .jsonl (one row a line), .json, .csv, .md, .xml (JUnit), .html (self-contained report)",
  },
  {
    key: "repeat",
    flags: "--repeat <n>",
    type: "integer",
    inRecipe: false,
    description: "run every test n times (each repeat a real sample)",
  },
  {
    key: "grader",
    flags: "--grader <provider:model>",
    type: "string",
    inRecipe: false,
    description: "default model for model-graded assertions",
  },
  {
    key: "passRate",
    flags: "--pass-rate <pct>",
    type: "number",
    inRecipe: false,
    description: "lowest passing rate in percent (default 100, or $PROMPTFOO_PASS_RATE_THRESHOLD)",
  },
  {
    key: "tests",
    flags: "-t, --tests <file>",
    type: "string",
    inRecipe: false,
    description: "tests file (CSV, JSONL, YAML, JSON) replacing the config's tests",
  },
  {
    key: "var",
    flags: "--var <k=v>",
    type: "string[]",
    inRecipe: false,
    description: "repeatable; a var added to every test",
  },
  {
    key: "filterPattern",
    flags: "--filter-pattern <re>",
    type: "string",
    inRecipe: false,
    description: "only tests whose description matches",
  },
  {
    key: "filterFirstN",
    flags: "--filter-first-n <n>",
    type: "integer",
    inRecipe: false,
    description: "only the first n tests",
  },
  {
    key: "filterPrompts",
    flags: "--filter-prompts <re>",
    type: "string",
    inRecipe: false,
    description: "only prompts whose label or id matches",
  },
  {
    key: "filterProviders",
    flags: "--filter-providers <re>",
    type: "string",
    inRecipe: false,
    description: "only providers whose label or id matches",
  },
  {
    key: "filterFailing",
    flags: "--filter-failing <eval>",
    type: "string",
    inRecipe: false,
    description: "only the rows that failed or errored in that eval (id, prefix or name)",
  },
];

/** `metasync eval [config]`: argv to typed options, then `evalCommand` (loaded only now) does the work. */
export function registerEvalCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const command = program
    .command("eval")
    .description("score prompts × models on a dataset: a promptfoo config runs unchanged")
    .argument("[config]", "config file (default ./metasync.eval.yaml, else ./promptfooconfig.yaml)")
    .option("-j <n>", "promptfoo's name for -c, --concurrency");
  addOptions(command, [...EVAL_OPTIONS, ...SENDING_OPTIONS]);
  command.addHelpText(
    "after",
    `
Rows are tests × prompts × providers × repeats, sent like run's items: budgets, key pool, retries,
response cache, --max-cost, checkpoints (rerun the same command to resume). Errors count in the pass rate.

Examples:
  $ metasync eval fixtures/eval/promptfooconfig.yaml
  $ metasync eval promptfooconfig.yaml -m openai:gpt-4o-mini -m anthropic:claude-haiku-4-5 --tpm 200000
  $ metasync eval cfg.yaml --pass-rate 95 -o results.xml -o rows.jsonl`,
  );
  registerEvalCompareCommand(command, io, outcome);
  command.action(async (config: string | undefined, _options: unknown, cmd: Command) => {
    const sending = givenOptions(cmd, SENDING_OPTIONS) as RunOptionValues;
    const j = cmd.getOptionValue("j") as string | undefined;
    if (j !== undefined && sending.concurrency === undefined) sending.concurrency = Number(j);
    const { evalCommand } = await import("./eval-action.js");
    outcome.exitCode = await evalCommand(config, { sending, flags: givenOptions(cmd, EVAL_OPTIONS) }, io);
  });
}
