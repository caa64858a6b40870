import type { Readable } from "node:stream";
import type { ScopeLimits } from "../core/limiter.js";
import type { ModelRef } from "../core/types.js";
import { ASSUMED_LATENCY_MS, type DurationEstimate, estimateDuration } from "../cost/duration-estimate.js";
import { type CostEstimate, CostEstimator, type TokenTotals } from "../cost/estimate.js";
import { renderEstimate } from "../cost/estimate-text.js";
import { loadPriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import { ContextWindowCheck } from "../input/context-window.js";
import { openInputSource } from "../input/input-source.js";
import { modelTypos } from "../input/model-typos.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import { planKeys } from "../keys/key-plan.js";
import type { Env } from "../keys/load-keys.js";
import type { RunSettings } from "./run-settings.js";

/**
 * `--dry-run`: reads and checks the whole input as a run would (the same errors, exit 2), counts
 * prompt tokens with a tokenizer, and estimates cost and duration under the given budgets. Nothing is
 * sent and the state database is not touched. Returns the text for stderr, or with `--json` one JSON
 * object (see `estimateObject`) for stdout.
 */
export async function estimateRun(settings: RunSettings, env: Env, stdin?: Readable): Promise<string> {
  const prices = loadPriceTable({ overrides: settings.prices });
  const source = openInputSource(settings.input, {
    format: settings.format,
    encoding: settings.encoding,
    delimiter: settings.delimiter,
    ...(stdin ? { stdin } : {}),
  });
  const counter = await TokenCounter.load([]);
  const estimator = new CostEstimator({ prices, counter });
  const problems = new ProblemList();
  const providers = new Set<string>();
  const models = new Set<ModelRef>();
  for await (const item of readItems(source, {
    defaults: {
      model: settings.model,
      template: settings.template,
      system: settings.system,
      params: settings.params,
      // The same refusal as a run's: a prompt that cannot fit its model's context window.
      checkRequest: new ContextWindowCheck({
        window: (model) => prices.contextWindow(model),
        counter: async () => counter,
      }).check,
    },
    problems,
  })) {
    if (!counter.isReady(item.request.model)) await counter.prepare(item.request.model);
    estimator.add(item);
    providers.add(item.request.model.provider);
    models.add(item.request.model);
  }
  problems.throwIfAny();
  const estimate = estimator.result();

  // The same scopes the key pool would make: keys sharing a `scope:` are one budget, not several.
  const specs = settings.keySpecs ?? [];
  const defaults = {
    ...(settings.tpm !== undefined ? { tokens: settings.tpm } : {}),
    ...(settings.rpm !== undefined ? { requests: settings.rpm } : {}),
  };
  const plan = planKeys(providers, specs, env, defaults);
  const scopes: ScopeLimits[] = [
    ...plan.scopes.map(({ limits }) => limits),
    // A provider without a key would still be sent to once one is set: estimate it as one scope.
    ...plan.missing.map(() => defaults),
  ];
  const notes = [
    ...modelTypos([...models, ...settings.fallbacks], prices),
    ...plan.missing.map(
      ({ provider }) => `no API key is set for ${provider}: a real run would stop before sending (exit 2)`,
    ),
  ];
  const duration = estimateDuration(estimate, {
    scopes,
    concurrency: settings.concurrency,
    latencyMs: ASSUMED_LATENCY_MS,
  });
  if (settings.json) {
    const assumptions = { concurrency: settings.concurrency, scopes: scopes.length };
    return `${JSON.stringify(estimateObject(estimate, duration, assumptions, notes), null, 2)}\n`;
  }
  const text = renderEstimate(estimate, {
    duration,
    concurrency: settings.concurrency,
    latencyMs: ASSUMED_LATENCY_MS,
    scopes: scopes.length,
  });
  return `${text}${notes.map((n) => `metasync: note: ${n}\n`).join("")}`;
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
