import { UsageError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import { usageCost, worstCaseCost } from "../cost/item-cost.js";
import type { PriceTable } from "../cost/price-table.js";
import type { ItemRunnerOptions } from "../engine/item-runner.js";
import { SpendingCap } from "../engine/spending-cap.js";

/**
 * How the run prices its answers, and its spending cap: an unpriced model is a warning (its cost
 * shows as unknown, never $0), and an error with `--max-cost`, which cannot bound what it cannot price.
 */
export function sessionCosts(
  prices: PriceTable,
  models: readonly string[],
  maxCostUsd: number | undefined,
  spentBefore: number,
  reservedBefore: number,
  emit: EventSink,
): Pick<ItemRunnerOptions, "costOf" | "spending"> {
  const unpriced = models.filter((model) => !prices.lookup(model));
  if (unpriced.length > 0) {
    if (maxCostUsd !== undefined) {
      throw new UsageError(
        `--max-cost needs a price for every model; none for ${unpriced.join(", ")} (add them with --prices)`,
      );
    }
    emit({
      type: "warning",
      message: `no price for ${unpriced.join(", ")}: their cost is reported as unknown (add prices with --prices)`,
    });
  }
  const costOf = (model: string, usage: Parameters<typeof usageCost>[2]) =>
    usageCost(prices, model, usage) ?? null;
  if (maxCostUsd === undefined) return { costOf };
  return {
    costOf,
    spending: {
      cap: new SpendingCap(maxCostUsd, spentBefore, reservedBefore),
      worstCase: (model, promptTokens, maxTokens, options) => {
        const match = prices.lookup(model);
        return match ? worstCaseCost(match.price, promptTokens, maxTokens, undefined, options) : 0;
      },
    },
  };
}
