import { hashDraw } from "./hash-random.js";

/**
 * `mock:instruct` — an offline task model whose accuracy depends, in a documented way, on what its
 * instruction says (providers/README.md). It reads the whole prompt (system and user messages):
 * - worked examples written `Example: "text" → label` (one a line): an example whose text occurs in
 *   the rest of the prompt (case aside) gives the answer — recall of an input it was shown, which
 *   teaches it nothing about any other input;
 * - rules written `"keyword" means label` (one a line or anywhere): the first rule, in the order
 *   written, whose keyword occurs as a word in the rest of the prompt gives the answer;
 * - the labels it may answer, after `one of:` (`one of: billing, account or shipping`): without a
 *   rule that applies it guesses among them (a draw from the hash of the seed and the prompt without
 *   its rules and examples: a rule added elsewhere leaves a guess as it was), and without
 *   them it answers `unknown`;
 * - `label only`, `only the label` or `one word`: it answers the bare label; otherwise it answers
 *   `The answer is <label>.` (which `equals` fails and `icontains` passes);
 * - `noise` (model option, default 0.05): that fraction of answers is a guess even where a rule applies.
 */
export function instructAnswer(prompt: string, seed: number, noise: number): string {
  const examples: { text: string; label: string }[] = [];
  const rules: { keyword: string; label: string }[] = [];
  const rest = prompt
    .replace(/^.*Example:\s*"([^"\n]+)"\s*→\s*([\w-]+).*$/gim, (_all, text: string, label: string) => {
      examples.push({ text: text.toLowerCase(), label });
      return " ";
    })
    .replace(/"([^"\n]+)"\s+means\s+([\w-]+)/gi, (_all, keyword: string, label: string) => {
      rules.push({ keyword: keyword.toLowerCase(), label });
      return " ";
    });
  // Draws are keyed by the prompt without its rules and examples: adding a rule that does not apply
  // to an input leaves its guess as it was; any other change of wording draws anew.
  const key = rest
    .replace(/^[\s-]*$/gm, "")
    .replace(/\s+/g, " ")
    .trim();
  const words = new Set(rest.toLowerCase().match(/[\p{L}\p{N}_-]+/gu) ?? []);
  const labels = labelList(rest);
  const bare = /label only|only the label|one word/i.test(rest);
  const recalled = examples.find((e) => rest.toLowerCase().includes(e.text));
  const rule = recalled ? { keyword: "", label: recalled.label } : rules.find((r) => words.has(r.keyword));
  let label: string;
  if (rule && hashDraw(seed, "noise", key) >= noise) label = rule.label;
  else if (labels.length > 0) {
    label = labels[Math.floor(hashDraw(seed, "guess", key) * labels.length)] as string;
  } else label = rule?.label ?? "unknown";
  return bare ? label : `The answer is ${label}.`;
}

/** The labels after `one of:`, up to the end of the sentence or line. */
function labelList(text: string): string[] {
  const match = /one of:\s*([^.\n]+)/i.exec(text);
  if (!match) return [];
  return (match[1] as string)
    .split(/,|\bor\b|\band\b/)
    .map((label) => label.trim())
    .filter((label) => /^[\w-]+$/.test(label));
}
