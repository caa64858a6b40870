import { formatCount } from "../core/format/number.js";
import { alignedTable } from "../core/format/table.js";
import { formatUsd } from "../core/format/usd.js";
import { type Item, OWN_MODEL_RULE } from "../core/types.js";
import { type CostEstimate, CostEstimator, type EstimateOptions } from "./estimate.js";

/**
 * `-m auto`'s dry run: the rows each router rule takes and what they cost, an estimate per rule (a
 * row naming its own model under `OWN_MODEL_RULE`). Empty when no item was routed.
 */
export class RuleEstimates {
  private readonly rules = new Map<string, CostEstimator>();
  private routed = false;

  constructor(private readonly options: EstimateOptions) {}

  add(item: Item): void {
    const rule = item.request.route;
    if (rule !== undefined) this.routed = true;
    const key = rule ?? OWN_MODEL_RULE;
    let estimator = this.rules.get(key);
    if (!estimator) {
      estimator = new CostEstimator(this.options);
      this.rules.set(key, estimator);
    }
    estimator.add(item);
  }

  /**
   * Each rule's estimate, in `order` (the router file's, every rule of it) where given, rows with
   * their own model last; none when nothing was routed.
   */
  results(order: readonly string[] = []): { rule: string; estimate: CostEstimate }[] {
    if (!this.routed) return [];
    // A rule that took no row is shown too, with none.
    for (const rule of order)
      if (!this.rules.has(rule)) this.rules.set(rule, new CostEstimator(this.options));
    const rank = (rule: string) => {
      const at = order.indexOf(rule);
      return at < 0 ? order.length : at;
    };
    return [...this.rules]
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([rule, estimator]) => ({ rule, estimate: estimator.result() }));
  }
}

/** The JSON of `--dry-run --json`'s `by_rule`. */
export function ruleObjects(rules: { rule: string; estimate: CostEstimate }[]): Record<string, unknown>[] {
  return rules.map(({ rule, estimate }) => ({
    rule,
    requests: estimate.requests,
    prompt_tokens: estimate.promptTokens,
    max_output_tokens: estimate.maxOutputTokens,
    expected_output_tokens: estimate.expectedOutputTokens,
    models: estimate.byModel.map((model) => model.model),
    cost_usd: allUnpriced(estimate) ? null : estimate.cost,
    unpriced_models: estimate.unpricedModels,
  }));
}

/** The text of the dry run's rule table. */
export function renderRules(rules: { rule: string; estimate: CostEstimate }[]): string {
  if (rules.length === 0) return "";
  const rows = [["RULE", "REQUESTS", "PROMPT TOK", "MODELS", "COST MIN / EXPECTED / MAX"]];
  for (const { rule, estimate } of rules) {
    const unpriced = estimate.unpricedModels.length;
    const cost = `${formatUsd(estimate.cost.min)} / ${formatUsd(estimate.cost.expected)} / ${formatUsd(estimate.cost.max)}`;
    rows.push([
      rule,
      formatCount(estimate.requests),
      formatCount(estimate.promptTokens),
      estimate.byModel.map((model) => model.model).join(", "),
      unpriced === 0 ? cost : allUnpriced(estimate) ? "unknown (no price)" : `${cost} + unknown`,
    ]);
  }
  return `${["by router rule:", ...alignedTable(rows, [1, 2])].map((line) => `metasync: ${line}`).join("\n")}\n`;
}

/** Rows were taken, and none of their models has a price. */
function allUnpriced(estimate: CostEstimate): boolean {
  return estimate.byModel.length > 0 && estimate.unpricedModels.length === estimate.byModel.length;
}
