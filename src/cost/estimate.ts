import { formatModelRef, type Item } from "../core/types.js";
import { DEFAULT_OUTPUT_CAP, tokensCost } from "./item-cost.js";
import type { PriceTable } from "./price-table.js";
import type { TokenCounter } from "./token-count.js";
import { UsdSum } from "./usd.js";

/** The expected output, as a fraction of each request's output cap, unless told otherwise. */
export const EXPECTED_OUTPUT_RATIO = 0.5;

export interface EstimateOptions {
  prices: PriceTable;
  counter: TokenCounter;
  /** Output tokens assumed for the maximum when a request sets no `max_tokens`. */
  defaultMaxTokens?: number;
  /** Expected output tokens as a fraction of each request's cap (`max_tokens` or the default). */
  expectedOutputRatio?: number;
  /** Priced at the providers' batch price (`--via batch`: the price's `batch_discount` taken off). */
  batch?: boolean;
}

/** USD: prompt only; prompt and the expected output; prompt and every request's output cap. */
export interface CostRange {
  min: number;
  expected: number;
  max: number;
}

export interface TokenTotals {
  requests: number;
  promptTokens: number;
  /** Σ `max_tokens`, with `defaultMaxTokens` for requests that set none. */
  maxOutputTokens: number;
  expectedOutputTokens: number;
  /** Requests that set no `max_tokens`. */
  uncapped: number;
  /**
   * Tokens a TPM budget is charged: prompt tokens plus `max_tokens` (OpenAI meters that at
   * admission), or plus the expected output where a request sets none.
   */
  meteredTokens: number;
}

export interface ModelEstimate extends TokenTotals {
  /** `provider:model` as the requests name it. */
  model: string;
  /** The price table entry used, or null when the model has no price. */
  priceKey: string | null;
  /** null when the model has no price: its cost is unknown, not zero. */
  cost: CostRange | null;
}

export interface CostEstimate extends TokenTotals {
  byModel: ModelEstimate[];
  /** The cost of the priced models' requests; `unpricedModels` are not in it. */
  cost: CostRange;
  unpricedModels: string[];
  defaultMaxTokens: number;
  expectedOutputRatio: number;
}

function emptyTotals(): TokenTotals {
  return {
    requests: 0,
    promptTokens: 0,
    maxOutputTokens: 0,
    expectedOutputTokens: 0,
    uncapped: 0,
    meteredTokens: 0,
  };
}

/** Adds up a dry run's requests one at a time, so memory stays flat however many there are. */
export class CostEstimator {
  private readonly models = new Map<string, TokenTotals>();
  private readonly defaultMaxTokens: number;
  private readonly ratio: number;

  constructor(private readonly options: EstimateOptions) {
    this.defaultMaxTokens = options.defaultMaxTokens ?? DEFAULT_OUTPUT_CAP;
    this.ratio = options.expectedOutputRatio ?? EXPECTED_OUTPUT_RATIO;
    if (!(this.ratio >= 0 && this.ratio <= 1)) {
      throw new RangeError(`expectedOutputRatio must be between 0 and 1, got ${this.ratio}`);
    }
  }

  /** Counts an item; its model's encoding must be loaded (`TokenCounter.prepare`). */
  add(item: Item): void {
    const { model, messages, params } = item.request;
    this.addCounted(
      formatModelRef(model),
      this.options.counter.countPrompt(messages, model),
      params.max_tokens,
    );
  }

  /** Adds a request whose prompt tokens are already counted. */
  addCounted(model: string, promptTokens: number, maxTokens: number | undefined): void {
    let totals = this.models.get(model);
    if (!totals) {
      totals = emptyTotals();
      this.models.set(model, totals);
    }
    const cap = maxTokens ?? this.defaultMaxTokens;
    const expected = cap * this.ratio;
    totals.requests += 1;
    totals.promptTokens += promptTokens;
    totals.maxOutputTokens += cap;
    totals.expectedOutputTokens += expected;
    if (maxTokens === undefined) totals.uncapped += 1;
    totals.meteredTokens += promptTokens + (maxTokens ?? expected);
  }

  result(): CostEstimate {
    const total = emptyTotals();
    const sums = { min: new UsdSum(), expected: new UsdSum(), max: new UsdSum() };
    const byModel: ModelEstimate[] = [];
    const unpricedModels: string[] = [];
    for (const [model, raw] of [...this.models].sort(([a], [b]) => a.localeCompare(b))) {
      const totals = {
        ...raw,
        expectedOutputTokens: Math.round(raw.expectedOutputTokens),
        meteredTokens: Math.round(raw.meteredTokens),
      };
      for (const field of Object.keys(total) as (keyof TokenTotals)[]) total[field] += totals[field];
      const match = this.options.prices.lookup(model);
      let cost: CostRange | null = null;
      if (match) {
        const factor = this.options.batch ? 1 - (match.price.batch_discount ?? 0) : 1;
        cost = {
          min: tokensCost(match.price, totals.promptTokens, 0) * factor,
          expected: tokensCost(match.price, totals.promptTokens, totals.expectedOutputTokens) * factor,
          max: tokensCost(match.price, totals.promptTokens, totals.maxOutputTokens) * factor,
        };
        sums.min.add(cost.min);
        sums.expected.add(cost.expected);
        sums.max.add(cost.max);
      } else {
        unpricedModels.push(model);
      }
      byModel.push({ model, priceKey: match?.key ?? null, ...totals, cost });
    }
    return {
      ...total,
      byModel,
      cost: { min: sums.min.usd, expected: sums.expected.usd, max: sums.max.usd },
      unpricedModels,
      defaultMaxTokens: this.defaultMaxTokens,
      expectedOutputRatio: this.ratio,
    };
  }
}

/**
 * The dry-run estimate over a stream of items (DESIGN §2 `--dry-run`): requests, prompt tokens
 * counted with a real tokenizer, and the cost range per model and in total.
 */
export async function estimateCost(
  items: Iterable<Item> | AsyncIterable<Item>,
  options: EstimateOptions,
): Promise<CostEstimate> {
  const estimator = new CostEstimator(options);
  for await (const item of items) {
    if (!options.counter.isReady(item.request.model)) await options.counter.prepare(item.request.model);
    estimator.add(item);
  }
  return estimator.result();
}
