import type { Item, ItemResult } from "./types.js";

/**
 * Where the engine takes its work from and records its results: the run's state. The in-memory
 * ledger serves a single process; the SQLite store makes a run resumable.
 */
export interface RunLedger {
  /** Items not yet done and not yet handed out, in input order, at most `limit`. */
  nextPending(limit: number): Item[] | Promise<Item[]>;
  /** Records an item's final result. It may be committed later, in a batch, but before `flush` returns. */
  record(item: Item, result: ItemResult): void;
  /** Commits everything recorded so far. */
  flush(): void | Promise<void>;
  /**
   * Results recorded that other processes sent (a shared run's workers): the batch's counts
   * include them. Optional; a ledger only this process sends for has none.
   */
  sentElsewhere?(): { ok: number; failed: number };
}
