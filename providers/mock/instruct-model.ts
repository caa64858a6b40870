import { hashDraw } from "./hash-random.js";

/**
 * `mock:instruct` — an offline task model whose accuracy depends, in a documented way, on what its
 * instruction says (providers/README.md). It reads the whole prompt (system and user messages):
 * - rules written `"keyword" means label` (one a line or anywhere): the first rule, in the order
 *   written, whose keyword occurs as a word in the rest of the prompt gives the answer;
 * - the labels it may answer, after `one of:` (`one of: billing, account or shipping`): without a
 *   rule that applies it guesses among them (a draw from the hash of seed and prompt), and without
 *   them it answers `unknown`;
 * - `label only`, `only the label` or `one word`: it answers the bare label; otherwise it answers
 *   `The answer is <label>.` (which `equals` fails and `icontains` passes);
 * - `noise` (model option, default 0.05): that fraction of answers is a guess even where a rule applies.
 */
export function instructAnswer(prompt: string, seed: number, noise: number): string {
  const rules: { keyword: string; label: string }[] = [];
  const rest = prompt.replace(/"([^"\n]+)"\s+means\s+([\w-]+)/gi, (_all, keyword: string, label: string) => {
    rules.push({ keyword: keyword.toLowerCase(), label });
    return " ";
  });
  const words = new Set(rest.toLowerCase().match(/[\p{L}\p{N}_-]+/gu) ?? []);
  const labels = labelList(rest);
  const bare = /label only|only the label|one word/i.test(rest);
  const rule = rules.find((r) => words.has(r.keyword));
  let label: string;
  if (rule && hashDraw(seed, "noise", prompt) >= noise) label = rule.label;
  else if (labels.length > 0) {
    label = labels[Math.floor(hashDraw(seed, "guess", prompt) * labels.length)] as string;
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
