import { hashDraw } from "./hash-random.js";

/**
 * `mock:reflect` and `mock:paraphrase` — offline proposers for `metasync optimize`
 * (providers/README.md). Both read a meta-prompt whose last fenced block (```…```) before the first
 * example is the prompt to improve and whose examples are written `Input:` (lines of `name: value`), `Output:` and
 * `Expected:`; both reply with reasoning and the new prompt as the last fenced block.
 *
 * `reflect` turns the failures it is shown into instruction changes, as a careful person would:
 * an output that holds the expected label but is not it (or, with no outputs shown, expected answers
 * that are single words) adds "Answer with the label only."; an
 * expected label missing from the `one of:` list is added to it; and each failure (two at most)
 * adds a rule `- "word" means label` for a word of its input — preferring words that no example
 * with another label has, chosen by a draw from the hash of seed and meta-prompt, so it is
 * sometimes wrong — or, one time in three (and when no word will do), pastes the failure in as a
 * worked example `- Example: "its input" → label`, as real proposers often do: that fixes the row
 * it was written from and no other. `paraphrase` rewords the prompt (an opening and a closing
 * phrase) and learns nothing: the control that shows how often noise alone looks like a gain.
 */
export function proposeReply(kind: "reflect" | "paraphrase", metaPrompt: string, seed: number): string {
  const head = metaPrompt.split(/\nInput:/)[0] ?? "";
  const blocks = [...head.matchAll(/```[^\n]*\n([\s\S]*?)\n?```/g)];
  const current = blocks.at(-1)?.[1] ?? "";
  const next =
    kind === "paraphrase" ? paraphrase(current, metaPrompt, seed) : reflect(current, metaPrompt, seed);
  return `Reading the examples, here is a revised prompt.\n\n\`\`\`\n${next}\n\`\`\`\n`;
}

interface Example {
  /** The input's values, joined by spaces (what a worked example quotes). */
  text: string;
  words: string[];
  output: string | undefined;
  expected: string;
}

/**
 * Words a careful reader does not take for the subject of a request: function words and the small
 * talk around it (greetings, "question", "problem", "thanks"…). Not every such word is here — a
 * proposal may still rest on an unlucky word ("phone", "monday"), as a real one sometimes does.
 */
const STOPWORDS = new Set(
  (
    "the a an and or but for with about from into this that these those have has had was were are is be been " +
    "my your our their its his her you we they them please help need want can could would should will just " +
    "some any what when where which who how why not all very too also more most much many other than then " +
    "there here today yesterday hello hi hey dear team good morning afternoon evening question questions " +
    "problem problems issue something wrong writing write check last week since thanks thank advance order " +
    "orders regards sir madam"
  ).split(" "),
);

function reflect(current: string, metaPrompt: string, seed: number): string {
  const examples = readExamples(metaPrompt);
  const failures = examples.filter((e) => e.output === undefined || !sameLabel(e.output, e.expected));
  let prompt = current;
  if (
    failures.some((f) => f.output?.toLowerCase().includes(f.expected.toLowerCase())) &&
    !/label only|only the label|one word/i.test(prompt)
  ) {
    prompt = addSentence(prompt, "Answer with the label only.");
  }
  // Input/expected pairs alone (APE's and OPRO's examples) show the answer's form too.
  if (
    examples.length > 0 &&
    examples.every((e) => e.output === undefined && /^[\w-]+$/.test(e.expected)) &&
    !/label only|only the label|one word/i.test(prompt)
  ) {
    prompt = addSentence(prompt, "Answer with the label only.");
  }
  for (const failure of failures) prompt = withLabel(prompt, failure.expected);
  const known = new Set(
    [...prompt.matchAll(/"([^"\n]+)"\s+means/gi)].map((m) => (m[1] as string).toLowerCase()),
  );
  const rules: string[] = [];
  for (const [i, failure] of failures.entries()) {
    if (rules.length >= 2) break;
    const others = new Set(examples.filter((e) => e.expected !== failure.expected).flatMap((e) => e.words));
    const words = failure.words.filter(
      (w) => w.length >= 3 && !/\d/.test(w) && !STOPWORDS.has(w) && !known.has(w),
    );
    if (words.length === 0 || hashDraw(seed, "example", metaPrompt, String(i)) < 1 / 3) {
      const example = `- Example: "${failure.text.replaceAll('"', "'")}" → ${failure.expected}`;
      if (!prompt.includes(example)) rules.push(example);
      continue;
    }
    const distinct = words.filter((w) => !others.has(w));
    const pool = distinct.length > 0 ? distinct : words;
    const word = pool[Math.floor(hashDraw(seed, "word", metaPrompt, String(i)) * pool.length)] as string;
    known.add(word);
    rules.push(`- "${word}" means ${failure.expected}`);
  }
  return rules.length > 0 ? insertRules(prompt, rules) : prompt;
}

const OPENINGS = ["", "Please read carefully. ", "Kindly do the following. ", "Your task: "];
const CLOSINGS = ["", " Thank you.", " Be precise.", " Take your time."];

function paraphrase(current: string, metaPrompt: string, seed: number): string {
  let body = current;
  for (const opening of OPENINGS) if (opening && body.startsWith(opening)) body = body.slice(opening.length);
  for (const closing of CLOSINGS)
    if (closing && body.endsWith(closing)) body = body.slice(0, -closing.length);
  const draw = Math.floor(hashDraw(seed, "paraphrase", metaPrompt) * OPENINGS.length * CLOSINGS.length);
  return `${OPENINGS[draw % OPENINGS.length]}${body}${CLOSINGS[Math.floor(draw / OPENINGS.length)]}`;
}

function readExamples(metaPrompt: string): Example[] {
  const examples: Example[] = [];
  const blocks = metaPrompt.split(/\n(?=Input:)/).slice(1);
  for (const block of blocks) {
    const expected = /\nExpected:[ \t]*(.*)/.exec(block)?.[1]?.trim();
    if (expected === undefined || expected === "") continue;
    const input = block.slice("Input:".length).split(/\n(?:Output|Expected|Feedback):/)[0] ?? "";
    const values = input
      .split("\n")
      .map((line) => line.replace(/^\s*[\w.-]+:\s*/, ""))
      .join(" ");
    const output = /\nOutput:[ \t]*(.*)/.exec(block)?.[1]?.trim();
    examples.push({
      text: values.replace(/\s+/g, " ").trim(),
      words: [...new Set(values.toLowerCase().match(/[\p{L}\p{N}_-]+/gu) ?? [])],
      output,
      expected,
    });
  }
  return examples;
}

function sameLabel(output: string, expected: string): boolean {
  return output.trim().toLowerCase() === expected.trim().toLowerCase();
}

/** Adds `label` to the prompt's `one of:` list, or a list with it when there is none. */
function withLabel(prompt: string, label: string): string {
  const match = /one of:\s*([^.\n]+)/i.exec(prompt);
  if (!match) return addSentence(prompt, `Answer with one of: ${label}.`);
  const list = match[1] as string;
  if (list.split(/,|\bor\b|\band\b/).some((l) => l.trim().toLowerCase() === label.toLowerCase()))
    return prompt;
  const at = match.index + match[0].length;
  return `${prompt.slice(0, at)}, ${label}${prompt.slice(at)}`;
}

/** A sentence added at the end of the instruction: before the first line with a `{{variable}}`. */
function addSentence(prompt: string, sentence: string): string {
  const lines = prompt.split("\n");
  const at = lines.findIndex((line) => line.includes("{{"));
  if (at <= 0) return at === 0 ? `${sentence}\n${prompt}` : `${prompt.trimEnd()} ${sentence}`;
  lines[at - 1] = `${(lines[at - 1] as string).trimEnd()} ${sentence}`;
  return lines.join("\n");
}

/** Rules go after the last rule, else before the first line with a `{{variable}}`, else at the end. */
function insertRules(prompt: string, rules: readonly string[]): string {
  const lines = prompt.split("\n");
  const last = lines.findLastIndex((line) => /^- "[^"]+" means /.test(line));
  const variable = lines.findIndex((line) => line.includes("{{"));
  const at = last >= 0 ? last + 1 : variable >= 0 ? variable : lines.length;
  lines.splice(at, 0, ...rules);
  return lines.join("\n");
}
