import type { ScopeLimits } from "../core/limiter.js";
import type { Item, ModelRef } from "../core/types.js";
import { ASSUMED_LATENCY_MS, estimateDuration } from "../cost/duration-estimate.js";
import { CostEstimator } from "../cost/estimate.js";
import { renderEstimate } from "../cost/estimate-text.js";
import type { PriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import { planKeys } from "../keys/key-plan.js";
import type { Env, KeySpec } from "../keys/load-keys.js";

/** What an estimate needs of the settings: the budgets, the key pool and the concurrency. */
export interface EstimateSettings {
  tpm: number | undefined;
  rpm: number | undefined;
  keySpecs?: readonly KeySpec[] | undefined;
  concurrency: number;
}

/**
 * `--dry-run` for any items (a run's rows, an eval's): prompt tokens counted with a tokenizer, cost
 * from the prices, and the duration under the same scopes the key pool would make. Returns the text
 * for stderr; `notes` are printed under it.
 */
export async function estimateItems(
  items: Iterable<Item> | AsyncIterable<Item>,
  settings: EstimateSettings,
  options: { prices: PriceTable; env: Env; notes?: (models: ModelRef[]) => string[] },
): Promise<string> {
  const counter = await TokenCounter.load([]);
  const estimator = new CostEstimator({ prices: options.prices, counter });
  const providers = new Set<string>();
  const models = new Map<string, ModelRef>();
  for await (const item of items) {
    if (!counter.isReady(item.request.model)) await counter.prepare(item.request.model);
    estimator.add(item);
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
  const text = renderEstimate(estimate, {
    duration,
    concurrency: settings.concurrency,
    latencyMs: ASSUMED_LATENCY_MS,
    scopes: scopes.length,
  });
  return `${text}${notes.map((n) => `metasync: note: ${n}\n`).join("")}`;
}
