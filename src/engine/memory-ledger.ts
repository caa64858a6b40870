import type { Item, ItemResult } from "../types.js";
import type { RunLedger } from "./ledger.js";

/** A ledger held in memory: for one process, with no resume. */
export class MemoryLedger implements RunLedger {
  private readonly items: Item[] = [];
  private readonly results: (ItemResult | undefined)[] = [];
  private cursor = 0;

  constructor(private readonly onRecorded: (item: Item, result: ItemResult) => void = () => {}) {}

  add(item: Item): void {
    this.items.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  nextPending(limit: number): Item[] {
    const page = this.items.slice(this.cursor, this.cursor + limit);
    this.cursor += page.length;
    return page;
  }

  record(item: Item, result: ItemResult): void {
    this.results[item.index] = result;
    this.onRecorded(item, result);
  }

  flush(): void {}

  /** Every item with its result (if it has one), in input order. */
  *entries(): Generator<{ item: Item; result: ItemResult | undefined }> {
    for (const item of this.items) yield { item, result: this.results[item.index] };
  }
}
