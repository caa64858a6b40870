import { LEASE, type WorkQueue } from "../coordinate/work-queue.js";
import { type Clock, every } from "../core/clock.js";
import type { EventSink } from "../core/events.js";
import type { RunLedger } from "../core/ledger.js";
import type { Item, ItemResult } from "../core/types.js";

/** How often a taker with nothing to do looks for work (and the owner for results) again. */
export const POLL_MS = 100;

/**
 * The owner's ledger of a shared run (`run --share`): the owner takes items from the run's queue
 * like any worker, and records in its own ledger (SQLite) the first result of each item, whoever
 * sent it — its own answers and, collected in the background, the results workers sent back. The
 * batch ends when no item is outstanding.
 */
export class SharedRunLedger implements RunLedger {
  /** Entries of the items this process holds, by item index. */
  private readonly held = new Map<number, string>();
  private readonly finished: string[] = [];
  private resultsAfter = "0";
  private failure: unknown;
  private readonly stopLoops: (() => void)[] = [];
  private collecting: Promise<void> = Promise.resolve();
  private readonly others = { ok: 0, failed: 0 };

  constructor(
    private readonly queue: WorkQueue,
    private readonly local: RunLedger,
    /** The items not done yet, by index: a result for any other is a late duplicate. */
    private readonly outstanding: Map<number, Item>,
    private readonly taker: string,
    private readonly options: {
      clock: Clock;
      emit: EventSink;
      concurrency: number;
      signal?: AbortSignal | undefined;
    },
  ) {
    const { clock } = options;
    this.stopLoops.push(
      every(clock, POLL_MS * 2, () => this.collectInBackground()),
      every(clock, LEASE.renewEveryMs, () => {
        this.queue.renew(this.taker, [...this.held.values()]).catch((error) => this.fail(error));
      }),
      every(clock, 10_000, () => {
        this.queue.heartbeat().catch((error) => this.fail(error));
      }),
    );
  }

  async nextPending(limit: number): Promise<Item[]> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.options.signal?.aborted || this.outstanding.size === 0) return [];
      const taken = await this.queue.take(this.taker, Math.min(limit, this.options.concurrency));
      const items: Item[] = [];
      const stale: string[] = [];
      for (const { entry, item } of taken) {
        if (this.outstanding.has(item.index)) {
          this.held.set(item.index, entry);
          items.push(item);
        } else {
          stale.push(entry);
        }
      }
      if (stale.length > 0) await this.queue.done(stale, []);
      if (items.length > 0) return items;
      await this.collect();
      if (this.outstanding.size === 0) return [];
      await this.options.clock.sleep(POLL_MS);
    }
  }

  record(item: Item, result: ItemResult): void {
    const entry = this.held.get(item.index);
    this.held.delete(item.index);
    if (entry !== undefined) this.finished.push(entry);
    if (!this.outstanding.delete(item.index)) return; // a worker's result came first
    this.local.record(item, result);
  }

  async flush(): Promise<void> {
    for (const stop of this.stopLoops.splice(0)) stop();
    await this.collecting;
    await this.collect();
    await this.local.flush();
    await this.settle();
    if (this.failure) throw this.failure;
  }

  sentElsewhere(): { ok: number; failed: number } {
    return { ...this.others };
  }

  /** Whether every item of the run has its result. */
  get complete(): boolean {
    return this.outstanding.size === 0;
  }

  private collectInBackground(): void {
    this.collecting = this.collecting.then(() => this.collect()).catch((error) => this.fail(error));
  }

  /** Records the results workers sent back since the last look (the first for each item). */
  private async collect(): Promise<void> {
    for (;;) {
      const page = await this.queue.results(this.resultsAfter, 500);
      if (page.length === 0) break;
      const seen: string[] = [];
      for (const { id, sent } of page) {
        this.resultsAfter = id;
        seen.push(id);
        this.finished.push(sent.entry);
        const item = this.outstanding.get(sent.index);
        if (!item) continue; // recorded already: the first result won
        this.outstanding.delete(sent.index);
        this.local.record(item, sent.result);
        if (sent.result.status === "ok") this.others.ok++;
        else this.others.failed++;
        this.options.emit({ type: "item_done", id: item.id, index: item.index, result: sent.result });
      }
      // Committed to the database before the results leave Redis: a crash in between only replays them.
      await this.local.flush();
      await this.queue.done(this.finished.splice(0), seen);
    }
    await this.settle();
  }

  /** Deletes the entries of items recorded since the last look. */
  private async settle(): Promise<void> {
    if (this.finished.length === 0) return;
    await this.local.flush();
    await this.queue.done(this.finished.splice(0), []);
  }

  private fail(error: unknown): void {
    this.failure ??= error;
  }
}
