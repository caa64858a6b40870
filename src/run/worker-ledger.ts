import { LEASE, type WorkQueue } from "../coordinate/work-queue.js";
import type { Clock } from "../core/clock.js";
import { every } from "../core/clock.js";
import type { RunLedger } from "../core/ledger.js";
import type { Item, ItemResult } from "../core/types.js";
import { POLL_MS } from "./shared-ledger.js";

/**
 * A worker's ledger of a shared run: items come from the run's queue under a lease the worker
 * renews while it holds them; each result goes back to the owner, which records it. The batch ends
 * when the run is finished (the owner deleted its queue) or the worker is stopped; items held then
 * are taken by another taker once their lease lapses.
 */
export class WorkerLedger implements RunLedger {
  private readonly held = new Map<number, string>();
  private readonly sending = new Set<Promise<void>>();
  private failure: unknown;
  private readonly stopRenewing: () => void;

  constructor(
    private readonly queue: WorkQueue,
    private readonly taker: string,
    private readonly options: { clock: Clock; concurrency: number; signal?: AbortSignal | undefined },
  ) {
    this.stopRenewing = every(options.clock, LEASE.renewEveryMs, () => {
      this.queue.renew(this.taker, [...this.held.values()]).catch((error) => {
        this.failure ??= error;
      });
    });
  }

  async nextPending(limit: number): Promise<Item[]> {
    let looked = 0;
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.options.signal?.aborted) return [];
      const taken = await this.queue.take(this.taker, Math.min(limit, this.options.concurrency));
      if (taken.length > 0) {
        for (const { entry, item } of taken) this.held.set(item.index, entry);
        return taken.map(({ item }) => item);
      }
      // Nothing to take: the run may be over (its description is gone once the owner finished it).
      if (looked++ % 10 === 0 && (await this.queue.description()) === undefined) return [];
      await this.options.clock.sleep(POLL_MS);
    }
  }

  record(item: Item, result: ItemResult): void {
    const entry = this.held.get(item.index);
    if (entry === undefined) return;
    this.held.delete(item.index);
    const sent = this.queue.sendResult(entry, item, result).catch((error) => {
      this.failure ??= error;
    });
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  async flush(): Promise<void> {
    this.stopRenewing();
    await Promise.all(this.sending);
    if (this.failure) throw this.failure;
  }
}
