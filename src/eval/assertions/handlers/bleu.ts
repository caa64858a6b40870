import { type Handler, invariant } from "../handler.js";

function tokenize(text: string): string[] {
  return text.toLowerCase().trim().split(/\s+/);
}

function nGrams(words: string[], n: number): string[] {
  if (n <= 0 || n > words.length) return [];
  const grams: string[] = [];
  for (let i = 0; i <= words.length - n; i++) grams.push(words.slice(i, i + n).join(" "));
  return grams;
}

function countGrams(grams: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const gram of grams) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  return counts;
}

/**
 * Sentence BLEU as promptfoo computes it (src/assertions/bleu.ts `calculateBleuScore`):
 * lowercased whitespace tokens, clipped 1–4-gram precisions against the best reference, a
 * precision of 0 smoothed to 1e-7, orders the candidate is too short for dropped and the weights
 * renormalized, and the brevity penalty exp(1 − r/c) against the closest reference length (the
 * shorter on a tie). Blank references are ignored; with none left the score is 0 (documented).
 */
export function calculateBleuScore(
  candidate: string,
  references: string[],
  weights = [0.25, 0.25, 0.25, 0.25],
) {
  if (!candidate || references.length === 0 || weights.length !== 4) throw new Error("Invalid inputs");
  const usable = references.filter((reference) => reference.trim() !== "");
  if (usable.length === 0) return 0;
  const candidateWords = tokenize(candidate);
  const referenceWords = usable.map(tokenize);
  const closest = referenceWords
    .map((words) => words.length)
    .reduce((prev, curr) => {
      const dCurr = Math.abs(curr - candidateWords.length);
      const dPrev = Math.abs(prev - candidateWords.length);
      return dCurr < dPrev || (dCurr === dPrev && curr < prev) ? curr : prev;
    });
  const orders: { precision: number; weight: number }[] = [];
  for (let n = 1; n <= 4; n++) {
    const candidateGrams = nGrams(candidateWords, n);
    if (candidateGrams.length === 0) continue;
    const candidateCounts = countGrams(candidateGrams);
    let best = 0;
    for (const words of referenceWords) {
      const referenceCounts = countGrams(nGrams(words, n));
      let clipped = 0;
      for (const [gram, count] of candidateCounts) clipped += Math.min(count, referenceCounts.get(gram) ?? 0);
      best = Math.max(best, clipped);
    }
    orders.push({ precision: best / candidateGrams.length, weight: weights[n - 1] ?? 0 });
  }
  const penalty = candidateWords.length > closest ? 1 : Math.exp(1 - closest / candidateWords.length);
  const weightSum = orders.reduce((sum, order) => sum + order.weight, 0);
  if (weightSum === 0) return 0;
  const logSum = orders.reduce(
    (sum, { precision, weight }) => sum + (weight / weightSum) * Math.log(precision === 0 ? 1e-7 : precision),
    0,
  );
  return penalty * Math.exp(logSum);
}

/**
 * `bleu`: passes when BLEU ≥ `threshold` (0.5 by default) against a reference or a list of them;
 * the score is BLEU, or 1 − BLEU for `not-bleu`. An empty output cannot be scored (promptfoo
 * throws "Invalid inputs").
 */
export const bleu: Handler = ({ spec, value, output, inverse }) => {
  invariant(
    typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string")),
    '"bleu" assertion type must have a string or array of strings value',
  );
  const threshold = spec.threshold ?? 0.5;
  const score = calculateBleuScore(output, Array.isArray(value) ? value : [value]);
  const pass = score >= threshold !== inverse;
  return {
    pass,
    score: inverse ? 1 - score : score,
    reason: pass
      ? "Assertion passed"
      : `BLEU score ${score.toFixed(4)} is ${inverse ? "greater" : "less"} than threshold ${threshold}`,
    assertion: spec,
  };
};
