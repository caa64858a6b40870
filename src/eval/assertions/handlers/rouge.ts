import { fMeasure, nGram, treeBankTokenize } from "js-rouge";
import { type Handler, invariant } from "../handler.js";

function countGrams(grams: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const gram of grams) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  return counts;
}

/**
 * ROUGE-1 F-measure over js-rouge's Treebank tokens of the whole text, case folded
 * (promptfoo src/assertions/rouge.ts `rougeNScore`).
 */
export function rougeNScore(candidate: string, reference: string, n = 1, beta = 1): number {
  const candidateTokens = treeBankTokenize(candidate);
  const referenceTokens = treeBankTokenize(reference);
  if (candidateTokens.length < n || referenceTokens.length < n) return 0;
  const candidateGrams = nGram(candidateTokens, n);
  const referenceGrams = nGram(referenceTokens, n);
  const referenceCounts = countGrams(referenceGrams);
  let overlap = 0;
  for (const [gram, count] of countGrams(candidateGrams)) {
    overlap += Math.min(count, referenceCounts.get(gram) ?? 0);
  }
  if (overlap === 0) return 0;
  return fMeasure(overlap / candidateGrams.length, overlap / referenceGrams.length, beta);
}

const BLANK = /^[\s\u0085]*$/u;

/**
 * `rouge-n`: passes when ROUGE-N ≥ `threshold` (0.75 by default); its score is the ROUGE score, or
 * 1 − score for `not-rouge-n`. Blank text scores 0. The reason states the raw score either way.
 */
export const rougeN: Handler = ({ spec, baseType, value, output, inverse }) => {
  invariant(typeof value === "string", '"rouge" assertion type must be a string value');
  const score =
    BLANK.test(output) || BLANK.test(value) ? 0 : rougeNScore(output.toLowerCase(), value.toLowerCase());
  const threshold = spec.threshold ?? 0.75;
  const above = score >= threshold;
  return {
    pass: above !== inverse,
    score: inverse ? 1 - score : score,
    reason: `${baseType.toUpperCase()} score ${score.toFixed(2)} is ${above ? "greater than or equal to" : "less than"} threshold ${threshold}`,
    assertion: spec,
  };
};
