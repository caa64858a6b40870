import type { Command } from "commander";
import { type OptionSpec, type RunOptionValues, sendingOptions } from "../recipe/option-table.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";
import { addOptions, givenOptions } from "./run-command.js";

/** What these options mean for optimize where that differs from run. */
const MEANINGS: Readonly<Record<string, string>> = {
  out: "the winning recipe (best.yaml), run as metasync run -r best.yaml",
  report: "the end report and every candidate: opt.md (Markdown) or opt.html (a self-contained page)",
  maxCost: "never crossed, over task, proposer and judge calls; the sealed test is reserved first",
  dryRun:
    "the reserved test, a proposal's worst case, the cap that surely buys one and what the cap buys; sends nothing",
  fresh: "start over, discarding this output's earlier optimization (its checkpoint)",
};

/**
 * `run`'s options optimize takes, with the same names and meanings; `-m` (repeatable) and `--seed`
 * (the optimization's seed: a request's sampling seed goes in the recipe) are optimize's own.
 */
const SENDING_OPTIONS: readonly OptionSpec[] = sendingOptions(
  "template",
  "system",
  "temperature",
  "maxTokens",
  "topP",
  "stop",
  "format",
  "encoding",
  "delimiter",
  "out",
  "report",
).map((spec) => (MEANINGS[spec.key] ? { ...spec, description: MEANINGS[spec.key] as string } : spec));

const own = (key: string, flags: string, type: OptionSpec["type"], description: string): OptionSpec => ({
  key,
  flags,
  type,
  inRecipe: false,
  description,
});

/** optimize's own options (design/optimize.md "Command"). */
const OPTIMIZE_OPTIONS: readonly OptionSpec[] = [
  own(
    "model",
    "-m, --model <provider:model>",
    "string[]",
    "task model; repeatable (each val row × model is an instance)",
  ),
  own("prompt", "--prompt <id|label>", "string", "with an eval config: the prompt to optimize"),
  own(
    "assert",
    "--assert <type:value>",
    "string[]",
    "repeatable; eval's CSV __expected syntax, e.g. 'equals:{{label}}', 'llm-rubric:…'",
  ),
  own(
    "grader",
    "--grader <provider:model>",
    "string",
    "the judge of model-graded assertions that name none (as eval's --grader)",
  ),
  own(
    "target",
    "--target <system|template|both>",
    "string",
    "what may be rewritten (default: the system prompt if any, else the template)",
  ),
  own("algo", "--algo <reflect|opro|ape>", "string", "default reflect (GEPA's loop)"),
  own(
    "proposer",
    "--proposer <provider:model>",
    "string",
    "the model that writes candidates (default: the first -m)",
  ),
  own("split", "--split <train,val,test>", "string", "fractions, default 0.4,0.3,0.3"),
  own("train", "--train <f>", "number", "train fraction"),
  own("val", "--val <f>", "number", "val fraction"),
  own("test", "--test <f>", "number", "sealed test fraction"),
  own("stratify", "--stratify <field>", "string", "split each value of this field in the same proportions"),
  own("seed", "--seed <n>", "integer", "the optimization's seed (splits, minibatches, choices); default 0"),
  own("maxRollouts", "--max-rollouts <n>", "integer", "stop once this many task requests were used"),
  own("patience", "--patience <n>", "integer", "stop after n steps without a better prompt (default 6)"),
  own("minibatch", "--minibatch <n>", "integer", "reflect's minibatch of train rows (default 6)"),
  own("proposals", "--proposals <n>", "integer", "opro/ape: proposals a step (default 4)"),
  own("across", "--across <mean|min>", "string", "with several -m: the mean or the worst model's score"),
  own(
    "history",
    "--history <opt.json>",
    "string",
    "every candidate and the final comparison (default: beside -o)",
  ),
  own("maxPromptTokens", "--max-prompt-tokens <n>", "integer", "reject longer candidates before spending"),
  own(
    "proposerPrompt",
    "--proposer-prompt <file>",
    "string",
    "replace the meta-prompt (variables in README)",
  ),
  own("requireGain", "--require-gain", "boolean", "exit 100 when the sealed test shows no significant gain"),
  own("race", "--no-race", "boolean", "score each child on all of val, as GEPA does (a benchmark baseline)"),
  own(
    "selectOn",
    "--select-on <val|train>",
    "string",
    "the set that picks the winner (train: a benchmark control only)",
  ),
];

/** `metasync optimize <data>`: argv to typed options, then `optimizeCommand` (loaded only now) does the work. */
export function registerOptimizeCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  const command = program
    .command("optimize")
    .description("improve a prompt by metaprompting, measured on a sealed test split")
    .argument("<data>", "dataset (.csv, .tsv, .jsonl), or an eval config (.yaml) with --prompt")
    .option(
      "-r, --recipe <file>",
      "the recipe whose prompt is optimized (template, system, model, parameters)",
    );
  addOptions(command, [...OPTIMIZE_OPTIONS, ...SENDING_OPTIONS]);
  command.addHelpText(
    "after",
    `
Splits the data (train feeds the proposer, val selects, test is sealed), proposes candidates from
failures, scores them through the same engine as run (budgets, key pool, retries, --max-cost never
crossed), and writes the winner as a recipe. Rerun the same command to resume.

Examples:
  $ metasync optimize tickets.csv -r classify.yaml --assert 'equals:{{label}}' -m openai:gpt-4o-mini \\
      --proposer openai:gpt-4o --max-cost 5 -o best.yaml
  $ metasync run new.csv -r best.yaml`,
  );
  command.action(async (data: string, _options: unknown, cmd: Command) => {
    const { optimizeCommand } = await import("./optimize-action.js");
    outcome.exitCode = await optimizeCommand(
      data,
      {
        recipe: cmd.getOptionValue("recipe") as string | undefined,
        sending: givenOptions(cmd, SENDING_OPTIONS) as RunOptionValues,
        flags: givenOptions(cmd, OPTIMIZE_OPTIONS),
      },
      io,
    );
  });
}
