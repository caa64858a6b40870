import type { GradingResult } from "./types.js";

/**
 * The grades of a test's assertions (or of an `assert-set`) combined as promptfoo's
 * `AssertionsResult` combines them (src/assertions/assertionsResult.ts):
 *
 * - the score is the weighted mean of the scores (`weight` defaults to 1; a weight-0 assertion
 *   is a measurement: left out of the score, kept in its named metric with weight 1);
 * - without a threshold the grade passes only if every assertion passed, and its reason is the
 *   last failure's; with a numeric threshold (0 included) it passes when score ≥ threshold, and
 *   says `Aggregate score 0.50 ≥ 0.5 threshold`;
 * - each `metric` is the weighted mean of the scores tagged with it, nested named scores merged
 *   with their own weights;
 * - the components are listed in the order of the assertions, each followed by its own components.
 *
 * An assertion that could not be evaluated makes the whole grade an error, as an exception does
 * in promptfoo: it fails, with that assertion's reason.
 */
export class GradeAggregate {
  private totalScore = 0;
  private totalWeight = 0;
  private failedReason: string | undefined;
  private error: GradingResult | undefined;
  private readonly components: GradingResult[] = [];
  private readonly named: Record<string, number> = {};
  private readonly namedWeights: Record<string, number> = {};

  constructor(private readonly threshold: number | null | undefined) {}

  add(index: number, result: GradingResult, metric: string | undefined, weight = 1): void {
    this.totalScore += result.score * weight;
    this.totalWeight += weight;
    this.components[index] = result;
    const metricWeight = weight === 0 ? 1 : weight;
    if (metric) {
      this.named[metric] = (this.named[metric] ?? 0) + result.score * metricWeight;
      this.namedWeights[metric] = (this.namedWeights[metric] ?? 0) + metricWeight;
    }
    for (const [name, score] of Object.entries(result.namedScores ?? {})) {
      if (name === metric) continue;
      const w = (result.namedScoreWeights?.[name] ?? 1) * metricWeight;
      this.named[name] = (this.named[name] ?? 0) + score * w;
      this.namedWeights[name] = (this.namedWeights[name] ?? 0) + w;
    }
    if (result.error && !this.error) this.error = result;
    if (!result.pass) this.failedReason = result.reason;
  }

  result(): GradingResult & { namedScores: Record<string, number> } {
    let score = this.totalWeight > 0 ? this.totalScore / this.totalWeight : 0;
    let pass = this.failedReason === undefined;
    let reason = this.failedReason ?? "All assertions passed";
    const threshold = this.threshold;
    if (typeof threshold === "number" && !Number.isNaN(threshold)) {
      pass = score >= threshold;
      reason = `Aggregate score ${score.toFixed(2)} ${pass ? "≥" : "<"} ${threshold} threshold`;
    }
    const namedScores: Record<string, number> = {};
    const namedScoreWeights: Record<string, number> = {};
    let overflow = !Number.isFinite(this.totalScore) || !Number.isFinite(this.totalWeight);
    for (const [name, total] of Object.entries(this.named)) {
      const weight = this.namedWeights[name] ?? 0;
      if (!Number.isFinite(total) || !Number.isFinite(weight)) {
        overflow = true;
        continue;
      }
      namedScores[name] = weight > 0 ? total / weight : 0;
      namedScoreWeights[name] = weight;
    }
    if (overflow || !Number.isFinite(score)) {
      pass = false;
      score = 0;
      reason = "Assertion aggregation error: scores or weights must remain finite";
    }
    const componentResults: GradingResult[] = [];
    for (const result of this.components) {
      if (result === undefined) continue;
      componentResults.push(result);
      for (const sub of result.componentResults ?? []) {
        componentResults.push({ ...sub, assertion: sub.assertion ?? result.assertion });
      }
    }
    const grade: GradingResult & { namedScores: Record<string, number> } = {
      pass,
      score,
      reason,
      namedScores,
      componentResults,
    };
    if (Object.keys(namedScoreWeights).length > 0) grade.namedScoreWeights = namedScoreWeights;
    if (this.error) {
      grade.pass = false;
      grade.reason = this.error.reason;
      grade.error = true;
    }
    return grade;
  }
}
