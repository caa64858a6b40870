import type { RunLedger } from "../core/ledger.js";
import type { Item, ItemResult } from "../core/types.js";

/**
 * A ledger held in memory, beside the SQLite one: for work that need not survive the process (a
 * single request, a proposal's trial batch) and for tests. Hands each item out once, in order, and
 * keeps each result by item id.
 */
export class MemoryLedger implements RunLedger {
  private readonly recorded = new Map<string, ItemResult>();
  private cursor = 0;

  constructor(readonly items: readonly Item[]) {}

  nextPending(limit: number): Item[] {
    const page = this.items.slice(this.cursor, this.cursor + limit);
    this.cursor += page.length;
    return page;
  }

  record(item: Item, result: ItemResult): void {
    this.recorded.set(item.id, result);
  }

  flush(): void {}

  /** Results by item id. */
  get results(): ReadonlyMap<string, ItemResult> {
    return this.recorded;
  }

  /** Each item with its result (undefined while pending), in input order. */
  entries(): { item: Item; result: ItemResult | undefined }[] {
    return this.items.map((item) => ({ item, result: this.recorded.get(item.id) }));
  }
}
