import { formatNumber } from "../core/format/number.js";
import { formatUsd } from "../core/format/usd.js";
import type { ScopeLimits } from "../core/limiter.js";
import { formatModelRef, type Item, type ModelRef } from "../core/types.js";
import { ASSUMED_LATENCY_MS, type DurationEstimate, estimateDuration } from "../cost/duration-estimate.js";
import { type CostEstimate, CostEstimator, type TokenTotals } from "../cost/estimate.js";
import { renderEstimate } from "../cost/estimate-text.js";
import { DEFAULT_OUTPUT_CAP, worstCaseCost } from "../cost/item-cost.js";
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
  /** `--max-cost`: with `--via batch`, how many items it covers is said. */
  maxCostUsd?: number | undefined;
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
  const capped =
    settings.via === "batch" && settings.maxCostUsd !== undefined
      ? new CapCoverage(settings.maxCostUsd, options.prices, counter)
      : undefined;
  const providers = new Set<string>();
  const models = new Map<string, ModelRef>();
  for await (const item of items) {
    if (!counter.isReady(item.request.model)) await counter.prepare(item.request.model);
    estimator.add(item);
    capped?.add(item);
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
    ...(capped ? [capped.note()] : []),
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

/**
 * `--dry-run --via batch --max-cost`: how many items the cap covers, as a new batch run would admit
 * them — in input order, each reserving its worst case at the batch price (prompt tokens counted by
 * the tokenizer, plus `max_tokens` or the default output cap), until the first that does not fit.
 */
class CapCoverage {
  private reserved = 0;
  private covered = 0;
  private total = 0;
  private full = false;
  private readonly unpriced = new Set<string>();

  constructor(
    private readonly capUsd: number,
    private readonly prices: PriceTable,
    private readonly counter: TokenCounter,
  ) {}

  add(item: Item): void {
    this.total++;
    const { model, messages, params } = item.request;
    const match = this.prices.lookup(formatModelRef(model));
    if (!match) {
      this.unpriced.add(formatModelRef(model));
      return;
    }
    if (this.full) return;
    const worst = worstCaseCost(
      match.price,
      this.counter.countPrompt(messages, model),
      params.max_tokens,
      DEFAULT_OUTPUT_CAP,
      { batch: true },
    );
    if (this.reserved + worst > this.capUsd) {
      this.full = true;
      return;
    }
    this.reserved += worst;
    this.covered++;
  }

  note(): string {
    const cap = `--max-cost $${formatNumber(this.capUsd)}`;
    if (this.unpriced.size > 0) {
      return `${cap} needs a price for every model; none for ${[...this.unpriced].join(", ")}: a real run would stop before sending (exit 2)`;
    }
    return `${cap} covers ${this.covered} of ${this.total} items at their worst case at the batch price (${formatUsd(this.reserved)}); a resumed run also counts what it spent and what its open batches hold`;
  }
}
