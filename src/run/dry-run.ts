import type { Readable } from "node:stream";
import type { Item } from "../core/types.js";
import { loadPriceTable } from "../cost/price-table.js";
import { TokenCounter } from "../cost/token-count.js";
import { ContextWindowCheck } from "../input/context-window.js";
import { openInputSource } from "../input/input-source.js";
import { modelTypos } from "../input/model-typos.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import type { Env } from "../keys/load-keys.js";
import { estimateItems } from "./estimate-items.js";
import { rowRouter } from "./row-router.js";
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
  const routing = await rowRouter(settings.router);
  const problems = new ProblemList();
  const items: AsyncIterable<Item> = readItems(source, {
    defaults: {
      model: settings.model,
      template: settings.template,
      system: settings.system,
      images: settings.images,
      cwd: settings.cwd,
      route: routing.route,
      params: settings.params,
      // The same refusal as a run's: a prompt that cannot fit its model's context window.
      checkRequest: new ContextWindowCheck({
        window: (model) => prices.contextWindow(model),
        counter: async () => counter,
      }).check,
    },
    problems,
  });
  const text = await estimateItems(items, settings, {
    prices,
    env,
    counter,
    json: settings.json,
    ruleOrder: settings.router?.rules.map((rule) => rule.name),
    notes: (models) => modelTypos([...models, ...settings.fallbacks], prices),
  });
  problems.throwIfAny();
  return text;
}
