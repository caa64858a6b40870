import { formatModelRef, type ItemRequest } from "../core/types.js";
import { DEFAULT_OUTPUT_CAP, worstCaseCost } from "../cost/item-cost.js";
import type { PriceTable } from "../cost/price-table.js";
import { promptTokensAtMost } from "../cost/rough-prompt-tokens.js";

/**
 * `--max-cost` for an optimization: the final test evaluations are reserved first, and each step
 * (a proposal, a minibatch, a slice of val) reserves its worst case before it starts — every prompt
 * byte a token, `max_tokens` (or 4096) output tokens — so the cap is never crossed; when the next
 * step does not fit, the search stops and the reserved test is run. The session's own cap (the same
 * figure) is the last guard.
 */
export class SpendPlan {
  /** Set aside for the sealed test of the baseline and of the winner. */
  testReserveUsd = 0;

  constructor(
    readonly capUsd: number | undefined,
    private readonly prices: PriceTable,
    /** What has been paid so far, in this process and before it. */
    private readonly spent: () => number,
  ) {}

  /** The most one request can cost (0 for an unpriced model, which `--max-cost` refuses anyway). */
  worstUsd(request: ItemRequest): number {
    const match = this.prices.lookup(formatModelRef(request.model));
    if (!match) return 0;
    return worstCaseCost(
      match.price,
      promptTokensAtMost(request),
      request.params.max_tokens ?? DEFAULT_OUTPUT_CAP,
    );
  }

  /** The most a request of `promptBytes` bytes to `model` can cost (every byte a token). */
  worstOfBytes(model: ItemRequest["model"], promptBytes: number, maxTokens: number | undefined): number {
    const match = this.prices.lookup(formatModelRef(model));
    if (!match) return 0;
    return worstCaseCost(match.price, promptBytes + 16, maxTokens ?? DEFAULT_OUTPUT_CAP);
  }

  /** Whether `usd` more (a step's worst case) fits under the cap beside the test reserve. */
  fits(usd: number): boolean {
    return this.capUsd === undefined || this.spent() + this.testReserveUsd + usd <= this.capUsd + 1e-12;
  }

  get spentUsd(): number {
    return this.spent();
  }
}
