import type { Usage } from "../core/types.js";
import type { ModelPrice, PriceTable } from "./price-table.js";

/**
 * Output tokens assumed for a request that sets no `max_tokens`, for worst-case figures: what the
 * Anthropic provider sends when a request sets none (OpenAI models may write more; set
 * `--max-tokens` to bound them).
 */
export const DEFAULT_OUTPUT_CAP = 4096;

/**
 * Prices are per million tokens; in micro-dollars per million tokens they are whole numbers, so
 * tokens × rate is an exact integer and one division by 10^12 gives the correctly rounded cost.
 */
const MICRO = 1e6;
const PER_TOKEN = 1e12;

function rate(usdPerMillion: number, factor = 1): number {
  return Math.round(Math.round(usdPerMillion * MICRO) * factor);
}

export interface CostOptions {
  /** The request went through the provider's batch API: its `batch_discount` applies. */
  batch?: boolean;
}

/**
 * What one answer cost, from the usage the provider reported. `input_tokens` includes the prompt
 * tokens that were cache hits (`cached_tokens`), which are priced at `cached_input` when the entry
 * has it, else at `input`.
 */
export function itemCost(usage: Usage, price: ModelPrice, options: CostOptions = {}): number {
  const factor = priceFactor(price, options);
  const input = Math.max(0, usage.input_tokens);
  const cached = Math.min(input, Math.max(0, usage.cached_tokens ?? 0));
  const micro =
    (input - cached) * rate(price.input, factor) +
    cached * rate(price.cached_input ?? price.input, factor) +
    Math.max(0, usage.output_tokens) * rate(price.output, factor);
  return micro / PER_TOKEN;
}

/** What a request's prices are multiplied by: the batch discount through a batch API, else 1. */
function priceFactor(price: ModelPrice, options: CostOptions): number {
  return options.batch ? 1 - (price.batch_discount ?? 0) : 1;
}

/**
 * The price of `inputTokens` prompt tokens (no cache hits) and `outputTokens` output tokens: the list
 * price, or the batch price with `batch`.
 */
export function tokensCost(
  price: ModelPrice,
  inputTokens: number,
  outputTokens: number,
  options: CostOptions = {},
): number {
  const factor = priceFactor(price, options);
  return (inputTokens * rate(price.input, factor) + outputTokens * rate(price.output, factor)) / PER_TOKEN;
}

/**
 * The most a request may cost before it is sent, for `--max-cost` reservations: every prompt token
 * at the input price (no cache hits assumed) and `max_tokens` output tokens, or `defaultCap` when
 * the request sets none; at the batch price with `batch` (`--via batch`).
 */
export function worstCaseCost(
  price: ModelPrice,
  promptTokens: number,
  maxTokens: number | undefined,
  defaultCap = DEFAULT_OUTPUT_CAP,
  options: CostOptions = {},
): number {
  return tokensCost(price, promptTokens, maxTokens ?? defaultCap, options);
}

/**
 * The cost of an answer from `model` (`provider:model`), or undefined when the model has no price:
 * callers show that as unknown, never as $0.
 */
export function usageCost(
  prices: PriceTable,
  model: string,
  usage: Usage,
  options: CostOptions = {},
): number | undefined {
  const match = prices.lookup(model);
  return match ? itemCost(usage, match.price, options) : undefined;
}
