import { readFileSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { compileTemplate, type Template } from "../input/template.js";

/** `--algo`: how candidates are proposed. */
export type Algo = "reflect" | "opro" | "ape";

/**
 * The variables a meta-prompt (the default ones, or `--proposer-prompt`'s) may use:
 * `current_prompt` the prompt to improve (reflect: the parent; opro, ape: the best so far);
 * `examples` the training examples, each `Input:` (its fields as `name: value` lines), then for
 * reflect `Output:` (the answer), and always `Expected:` and, for reflect, `Feedback:` (the
 * assertions' reasons); `history` (opro) earlier prompts with their val scores, worst first, each
 * in a fenced block; `variables` the `{{placeholders}}` the new prompt must keep; `proposal` which
 * proposal of the step this is (1, 2, …).
 */
export const META_VARIABLES = ["current_prompt", "examples", "history", "variables", "proposal"] as const;
export type MetaValues = Record<(typeof META_VARIABLES)[number], string>;

const REPLY_CONTRACT =
  "Reply with your reasoning first, then the complete new prompt as the last fenced code block (```), and nothing after it.";

const DEFAULTS: Record<Algo, string> = {
  reflect: `I gave an assistant the following prompt to do a task for me:
\`\`\`
{{current_prompt}}
\`\`\`

Here are inputs from the task's data, the assistant's output for each, the expected answer, and feedback on what was wrong:

{{examples}}

Write a better prompt for this task. Read the inputs, outputs and feedback closely: work out what the assistant got wrong and what it must be told — facts specific to this task that it cannot know, rules that tell the cases apart, the exact form of the answer — so that it answers these and similar inputs correctly. Keep what already works. Keep every placeholder exactly as written: {{variables}}; each is filled with an input's value.
${REPLY_CONTRACT}`,
  opro: `Your task is to write a prompt for a task. Below are earlier prompts, each with its score on held-out data (0 to 100), from the lowest to the highest:

{{history}}

Here are examples of the task's inputs and expected answers:

{{examples}}

Write a new prompt, different from every prompt above, that scores higher than all of them. Keep every placeholder exactly as written: {{variables}}. (Proposal {{proposal}}.)
${REPLY_CONTRACT}`,
  ape: `Here is a prompt for a task:
\`\`\`
{{current_prompt}}
\`\`\`

A friend was given an instruction and wrote the expected answer for each of these inputs:

{{examples}}

Write the instruction the friend was given, as a complete prompt for this task in the form above. Keep every placeholder exactly as written: {{variables}}. (Proposal {{proposal}}.)
${REPLY_CONTRACT}`,
};

/** The meta-prompt of an algorithm: `--proposer-prompt`'s file, checked, or the default. */
export function metaPrompt(algo: Algo, file: string | undefined): { template: Template; source: string } {
  if (file === undefined)
    return { template: compileTemplate(DEFAULTS[algo], "meta-prompt"), source: "default" };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--proposer-prompt ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
  const template = compileTemplate(text, `--proposer-prompt ${file}`);
  const unknown = template.fields.filter((f) => !(META_VARIABLES as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new UsageError(
      `--proposer-prompt ${file}: unknown variable {{${unknown[0]}}} (known: ${META_VARIABLES.map((v) => `{{${v}}}`).join(", ")})`,
    );
  }
  return { template, source: file };
}

/** The meta-prompt's text for one proposal. */
export function renderMeta(template: Template, values: MetaValues): string {
  const rendered = template.render(values);
  if (!rendered.ok) throw new Error("meta-prompt variables are all given");
  return rendered.text;
}

/** One training example as the proposer is shown it. */
export interface ShownExample {
  vars: Readonly<Record<string, unknown>>;
  output?: string | undefined;
  expected: string;
  feedback?: string | undefined;
}

export function formatExamples(examples: readonly ShownExample[]): string {
  return examples
    .map((example, i) => {
      const lines = [`Example ${i + 1}`, "Input:"];
      for (const [name, value] of Object.entries(example.vars)) {
        lines.push(`${name}: ${oneLine(typeof value === "string" ? value : JSON.stringify(value))}`);
      }
      if (example.output !== undefined) lines.push(`Output: ${oneLine(example.output)}`);
      lines.push(`Expected: ${oneLine(example.expected)}`);
      if (example.feedback !== undefined) lines.push(`Feedback: ${oneLine(example.feedback)}`);
      return lines.join("\n");
    })
    .join("\n\n");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ⏎ ").trim();
}
