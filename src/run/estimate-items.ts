import type { ScopeLimits } from "../core/limiter.js";
import type { Item, ModelRef } from "../core/types.js";
import { ASSUMED_LATENCY_MS, type DurationEstimate, estimateDuration } from "../cost/duration-estimate.js";
import { type CostEstimate, CostEstimator, type TokenTotals } from "../cost/estimate.js";
import { renderEstimate } from "../cost/estimate-text.js";
import type { PriceTable } from "../cost/price-table.js";
import { RuleEstimates, renderRules, ruleObjects } from "../cost/rule-estimates.js";
import { TokenCounter } from "../cost/token-count.js";
import { planKeys } from "../keys/key-plan.js";
import type { Env, KeySpec } from "../keys/load-keys.js";

/** What an estimate needs of the settings: the budgets, the key pool and the concurrency. */
export interface EstimateSettings {
  tpm: number | undefined;
  rpm: number | undefined;
  keySpecs?: readonly KeySpec[] | undefined;
  concurrency: number;
  /** `--via batch`: costs at the batch price. */
  via?: "live" | "batch" | undefined;
}

/**
 * `--dry-run` for any items (a run's rows, an eval's): prompt tokens counted with a tokenizer, cost
 * from the prices, and the duration under the same scopes the key pool would make. Returns the text
 * for stderr; `notes` are printed under it.
 */
export async function estimateItems(
  items: Iterable<Item> | AsyncIterable<Item>,
  settings: EstimateSettings,
  options: {
    prices: PriceTable;
    env: Env;
    /** A tokenizer already loaded (the caller's checks use it too). */
    counter?: TokenCounter;
    /** `--json`: one JSON object (`estimateObject`) instead of the text. */
    json?: boolean | undefined;
    notes?: (models: ModelRef[]) => string[];
    /** `-m auto`: the router's rules in file order, the order of the estimate by rule. */
    ruleOrder?: readonly string[] | undefined;
  },
): Promise<string> {
  const counter = options.counter ?? (await TokenCounter.load([]));
  const estimator = new CostEstimator({ prices: options.prices, counter, batch: settings.via === "batch" });
  const byRule = new RuleEstimates({ prices: options.prices, counter });
  const providers = new Set<string>();
  const models = new Map<string, ModelRef>();
  for await (const item of items) {
    if (!counter.isReady(item.request.model)) await counter.prepare(item.request.model);
    estimator.add(item);
    byRule.add(item);
    providers.add(item.request.model.provider);
    models.set(`${item.request.model.provider}:${item.request.model.model}`, item.request.model);
  }
  const estimate = estimator.result();
  // The same scopes the key pool would make: keys sharing a `scope:` are one budget, not several.
  const defaults = {
    ...(settings.tpm !== undefined ? { tokens: settings.tpm } : {}),
    ...(settings.rpm !== undefined ? { requests: settings.rpm } : {}),
  };
  const plan = planKeys(providers, settings.keySpecs ?? [], options.env, defaults);
  const scopes: ScopeLimits[] = [
    ...plan.scopes.map(({ limits }) => limits),
    // A provider without a key would still be sent to once one is set: estimate it as one scope.
    ...plan.missing.map(() => defaults),
  ];
  const notes = [
    ...(settings.via === "batch"
      ? [
          "--via batch: costs at the batch price; batches answer within 24 hours, so the duration is not estimated by the budgets",
        ]
      : []),
    ...(options.notes?.([...models.values()]) ?? []),
    ...plan.missing.map(
      ({ provider }) => `no API key is set for ${provider}: a real run would stop before sending (exit 2)`,
    ),
  ];
  const duration = estimateDuration(estimate, {
    scopes,
    concurrency: settings.concurrency,
    latencyMs: ASSUMED_LATENCY_MS,
  });
  if (options.json) {
    const assumptions = { concurrency: settings.concurrency, scopes: scopes.length };
    const rules = byRule.results(options.ruleOrder);
    const object = estimateObject(estimate, duration, assumptions, notes);
    const withRules = rules.length > 0 ? { ...object, by_rule: ruleObjects(rules) } : object;
    return `${JSON.stringify(withRules, null, 2)}\n`;
  }
  const text = renderEstimate(estimate, {
    duration,
    concurrency: settings.concurrency,
    latencyMs: ASSUMED_LATENCY_MS,
    scopes: scopes.length,
  });
  return `${text}${renderRules(byRule.results(options.ruleOrder))}${notes.map((n) => `metasync: note: ${n}\n`).join("")}`;
}

/**
 * The estimate as `--dry-run --json` prints it (README "Cost"). Costs in USD, null where no model
 * has a price; with some priced, `cost_usd` covers those and `unpriced_models` names the others.
 */
export function estimateObject(
  estimate: CostEstimate,
  duration: DurationEstimate,
  assumptions: { concurrency: number; scopes: number },
  notes: readonly string[],
): Record<string, unknown> {
  const tokens = (totals: TokenTotals) => ({
    requests: totals.requests,
    prompt_tokens: totals.promptTokens,
    max_output_tokens: totals.maxOutputTokens,
    expected_output_tokens: totals.expectedOutputTokens,
  });
  const allUnpriced =
    estimate.byModel.length > 0 && estimate.unpricedModels.length === estimate.byModel.length;
  return {
    dry_run: true,
    ...tokens(estimate),
    cost_usd: allUnpriced ? null : estimate.cost,
    unpriced_models: estimate.unpricedModels,
    by_model: estimate.byModel.map((model) => ({
      model: model.model,
      ...tokens(model),
      cost_usd: model.cost,
    })),
    uncapped_requests: estimate.uncapped,
    default_max_tokens: estimate.defaultMaxTokens,
    expected_output_ratio: estimate.expectedOutputRatio,
    duration_s: duration.seconds,
    paced_by: duration.bound,
    limits: {
      rpm: duration.rpm,
      tpm: duration.tpm,
      scopes: assumptions.scopes,
      concurrency: assumptions.concurrency,
      assumed_latency_ms: ASSUMED_LATENCY_MS,
    },
    notes,
  };
}
