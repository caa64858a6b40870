import type { Readable } from "node:stream";
import { providerInfo } from "../../providers/registry.js";
import { ASSUMED_LATENCY_MS, estimateDuration, type ScopeLimits } from "../cost/duration-estimate.js";
import { CostEstimator } from "../cost/estimate.js";
import { renderEstimate } from "../cost/estimate-text.js";
import { loadPriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import { openInputSource } from "../input/input-source.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import { type Env, keysFromEnv, loadKeyFile } from "../keys/load-keys.js";
import type { RunSettings } from "./run-settings.js";

/**
 * `--dry-run`: reads and checks the whole input as a run would (the same errors, exit 2), counts
 * prompt tokens with a tokenizer, and estimates cost and duration under the given budgets. Nothing is
 * sent and the state database is not touched. Returns the text for stderr.
 */
export async function estimateRun(settings: RunSettings, env: Env, stdin?: Readable): Promise<string> {
  const prices = loadPriceTable({ overrides: settings.prices });
  const source = openInputSource(settings.input, {
    ...(settings.format !== undefined ? { format: settings.format } : {}),
    ...(stdin ? { stdin } : {}),
  });
  const counter = await TokenCounter.load([]);
  const estimator = new CostEstimator({ prices, counter });
  const problems = new ProblemList();
  const providers = new Set<string>();
  for await (const item of readItems(source, {
    defaults: {
      model: settings.model,
      template: settings.template,
      system: settings.system,
      params: settings.params,
    },
    problems,
  })) {
    if (!counter.isReady(item.request.model)) await counter.prepare(item.request.model);
    estimator.add(item);
    providers.add(item.request.model.provider);
  }
  problems.throwIfAny();
  const estimate = estimator.result();

  const specs = settings.keysFile ? loadKeyFile(settings.keysFile, env) : [];
  const scopes: ScopeLimits[] = [];
  const notes: string[] = [];
  for (const provider of providers) {
    const fromFile = specs.filter((s) => s.provider === provider);
    const count = fromFile.length > 0 ? fromFile.length : Math.max(1, keysFromEnv(provider, env).length);
    if (fromFile.length === 0 && providerInfo(provider)?.keyEnv && keysFromEnv(provider, env).length === 0) {
      notes.push(`no API key is set for ${provider}: a real run would stop before sending (exit 2)`);
    }
    for (let i = 0; i < count; i++) {
      const limits = fromFile[i]?.limits ?? {};
      scopes.push({
        rpm: limits.requests ?? settings.rpm ?? null,
        tpm: limits.tokens ?? settings.tpm ?? null,
      });
    }
  }
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
