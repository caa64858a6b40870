import type { RunLedger } from "../../src/core/ledger.js";
import type { Item, ItemResult } from "../../src/core/types.js";

/** A ledger over an array, for engine tests: hands items out once, keeps results by id. */
export class ArrayLedger implements RunLedger {
  readonly results = new Map<string, ItemResult>();
  private cursor = 0;
  constructor(readonly items: Item[]) {}
  nextPending(limit: number): Item[] {
    const page = this.items.slice(this.cursor, this.cursor + limit);
    this.cursor += page.length;
    return page;
  }
  record(item: Item, result: ItemResult): void {
    this.results.set(item.id, result);
  }
  flush(): void {}
}

/** `count` prompt items for a fake provider: `prompt 1`, `prompt 2`, … */
export function fakeItems(count: number): Item[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    id: `item-${index + 1}`,
    line: index + 1,
    request: {
      model: { provider: "fake", model: "m" },
      messages: [{ role: "user" as const, content: `prompt ${index + 1}` }],
      params: {},
    },
  }));
}
