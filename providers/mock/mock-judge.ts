import { hashDraw } from "./hash-random.js";

/** How the mock judge decides: its noise (the share of verdicts it flips) and the seed of its draws. */
export interface MockJudgeOptions {
  /** 0–1: the probability that a verdict is turned around (a wrong judge, for variance tests). */
  noise: number;
  seed: number;
  /** The request's sample (eval's repeat): each repeat of one judge request draws anew. */
  sample?: number | undefined;
}

/**
 * A deterministic judge for offline tests, behind `mock:grader` and `metasync mock-server`'s models
 * whose name starts with `grader`. It recognises promptfoo's default grader prompts (llm-rubric,
 * factuality, model-graded-closedqa, g-eval's two steps, select-best) and answers each in the format
 * that prompt asks for. Its rule: the criteria's quoted phrases ("…" or '…') must all be in the output
 * (case-insensitive); the score is the share found (criteria without a quoted phrase are met).
 * Factuality compares the texts: equal C, the answer inside the submission B, the submission inside
 * the answer A, otherwise D. With `noise`, a verdict is turned around with that probability, drawn
 * from a hash of the seed, the sample and the prompt — never from the order of calls.
 * Returns undefined for a prompt that is no grader prompt it knows.
 */
export function mockJudgeAnswer(prompt: string, options: MockJudgeOptions): string | undefined {
  const flip =
    options.noise > 0 && hashDraw(options.seed, String(options.sample ?? 0), prompt) < options.noise;
  if (prompt.includes("<Rubric>") && prompt.includes("<Output>")) {
    return rubricVerdict(
      lastBetween(prompt, "<Output>", "</Output>"),
      lastBetween(prompt, "<Rubric>", "</Rubric>"),
      flip,
    );
  }
  if (prompt.includes("<expert_answer>") && prompt.includes("<submitted_answer>")) {
    return factualityVerdict(
      lastBetween(prompt, "<expert_answer>", "</expert_answer>"),
      lastBetween(prompt, "<submitted_answer>", "</submitted_answer>"),
      flip,
    );
  }
  if (prompt.includes("[Criterion]: ") && prompt.includes("[Submission]: ")) {
    const submission = lastBetween(prompt, "[Submission]: ", "\n***");
    const criterion = lastBetween(prompt, "[Criterion]: ", "\n***");
    const { met } = judged(submission, criterion, flip);
    const letter = met ? "Y" : "N";
    return `The submission ${met ? "meets" : "does not meet"} the criterion.\n${letter}\n${letter}`;
  }
  if (prompt.includes("**EVALUATION CRITERIA**")) {
    const criteria = lastBetween(prompt, "**EVALUATION CRITERIA**", "**OUTPUT FORMAT**").trim();
    return JSON.stringify({
      steps: [
        "Read the reply in full.",
        `Check the reply against the criteria: ${criteria}`,
        "Score how fully the reply meets them.",
      ],
    });
  }
  if (prompt.includes("**Evaluation Criteria**") && prompt.includes("**Reply**")) {
    const criteria = lastBetween(prompt, "**Evaluation Criteria**", "**Evaluation Steps**");
    const reply = lastBetween(prompt, "**Reply**", "**OUTPUT FORMAT**");
    const { share } = judged(reply, criteria, flip);
    const score = Math.round(share * 10);
    return JSON.stringify({ score, reason: `The reply meets ${score} tenths of the criteria.` });
  }
  if (prompt.includes('<Text index="')) {
    const criteria = lastBetween(prompt, "following criteria: ", "\n\nHere are the pieces of text:");
    const texts = [...prompt.matchAll(/<Text index="(\d+)">\n([\s\S]*?)\n<\/Text>/g)].map((m) => m[2] ?? "");
    if (texts.length === 0) return "0";
    let best = 0;
    let bestShare = -1;
    texts.forEach((text, index) => {
      const { share } = judged(text, criteria, false);
      if (share > bestShare) {
        best = index;
        bestShare = share;
      }
    });
    return String(flip ? (best + 1) % texts.length : best);
  }
  return undefined;
}

function rubricVerdict(output: string, rubric: string, flip: boolean): string {
  const { met, share, missing } = judged(output, rubric, flip);
  const reason = met
    ? "The output meets the rubric."
    : `The output does not meet the rubric${missing.length > 0 ? `: it lacks ${missing.map((t) => `"${t}"`).join(", ")}` : ""}.`;
  return JSON.stringify({ reason, pass: met, score: share });
}

function factualityVerdict(expert: string, submitted: string, flip: boolean): string {
  const e = normalised(expert);
  const s = normalised(submitted);
  let category = e === s ? "C" : s.includes(e) ? "B" : e.includes(s) && s !== "" ? "A" : "D";
  if (flip) category = category === "D" ? "C" : "D";
  return JSON.stringify({
    category,
    reason: `The submission compared with the expert answer: category ${category}.`,
  });
}

/** Whether `text` meets `criteria` by the mock's rule, turned around when `flip`. */
function judged(
  text: string,
  criteria: string,
  flip: boolean,
): { met: boolean; share: number; missing: string[] } {
  const terms = quotedTerms(criteria);
  const haystack = text.toLowerCase();
  const missing = terms.filter((term) => !haystack.includes(term.toLowerCase()));
  let share = terms.length === 0 ? 1 : (terms.length - missing.length) / terms.length;
  let met = missing.length === 0;
  if (flip) {
    met = !met;
    share = 1 - share;
  }
  return { met, share, missing };
}

/** The phrases of `criteria` in double, single or curly quotes. */
function quotedTerms(criteria: string): string[] {
  const terms: string[] = [];
  for (const match of criteria.matchAll(
    /"([^"\n]+)"|“([^”\n]+)”|(?<![\p{L}\p{N}])'([^'\n]+)'(?![\p{L}\p{N}])/gu,
  )) {
    const term = match[1] ?? match[2] ?? match[3];
    if (term !== undefined && term.trim() !== "") terms.push(term.trim());
  }
  return terms;
}

/** The text between the last `open` and the next `close` after it, trimmed of surrounding newlines. */
function lastBetween(text: string, open: string, close: string): string {
  const start = text.lastIndexOf(open);
  if (start < 0) return "";
  const from = start + open.length;
  const end = text.indexOf(close, from);
  return text
    .slice(from, end < 0 ? undefined : end)
    .replace(/^\s*\n|\n\s*$/g, "")
    .trim();
}

function normalised(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}
