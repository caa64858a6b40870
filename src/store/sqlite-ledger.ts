import type Database from "better-sqlite3";
import type { RunLedger } from "../core/ledger.js";
import type { Item, ItemResult } from "../core/types.js";
import { stateError } from "./state-db.js";

export interface LedgerOptions {
  /** Called after each group commit with what it committed, in commit order. */
  onCommitted?: (committed: readonly Committed[]) => void;
  /**
   * Whether a committed result also counts as printed to stdout (a resume does not print it again).
   * `run` passes false and marks a line printed only once its write completed (StateStore.markEmitted).
   */
  emitted: boolean;
  /** Commit at once when this many results wait (default 1000). */
  commitEveryResults?: number;
}

export interface Committed {
  item: Item;
  result: ItemResult;
}

interface ItemRow {
  idx: number;
  id: string;
  line: number;
  request: string;
  columns: string | null;
}

/**
 * The run's items in SQLite: pending items are handed out in pages, in input order (not those at a
 * provider in an open batch of `--via batch`: they are not sent twice); results are
 * group-committed (one transaction for many) so the database never limits throughput. A result
 * counts as done only once committed.
 *
 * A group is what finished in one task of the event loop: it is committed in a microtask, before
 * the loop reads another response or the engine sends another request. A crash (even kill -9) then
 * loses only the requests in flight, never an answer received, and waiting answers never pile up
 * behind other work (a timer-based window lost up to 50 ms of paid answers; `setImmediate` still
 * let new requests go out, and be answered, before the commit).
 */
export class SqliteLedger implements RunLedger {
  private cursor = -1;
  private waiting: Committed[] = [];
  /** A commit is queued as a microtask. */
  private scheduled = false;
  private failure: unknown;
  private readonly selectPending: Database.Statement<[string, number, number], ItemRow>;
  private readonly commitBatch: (batch: readonly Committed[]) => void;

  constructor(
    db: Database.Database,
    private readonly dbPath: string,
    private readonly runId: string,
    private readonly options: LedgerOptions,
    clockNow: () => number = Date.now,
  ) {
    this.selectPending = db.prepare(
      `SELECT idx, id, line, request, columns FROM items
       WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NULL AND idx > ? ORDER BY idx LIMIT ?`,
    );
    const update = db.prepare(
      "UPDATE items SET status = ?, result = ?, emitted = ?, finished_at = ? WHERE run_id = ? AND idx = ?",
    );
    const cache = db.prepare(
      `INSERT INTO response_cache (request_hash, result, created_at)
       SELECT request_hash, ?, ? FROM items WHERE run_id = ? AND idx = ?
       ON CONFLICT(request_hash) DO UPDATE SET result = excluded.result, created_at = excluded.created_at`,
    );
    const touch = db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?");
    const emitted = options.emitted ? 1 : 0;
    // The run's updated_at changes once a second at most: a page less to write on each small commit.
    let touched = 0;
    const commitBatch = db.transaction((batch: readonly Committed[]) => {
      const now = clockNow();
      for (const { item, result } of batch) {
        const json = JSON.stringify(result);
        update.run(result.status, json, emitted, now, runId, item.index);
        if (result.status === "ok") cache.run(json, now, runId, item.index);
      }
      if (now - touched >= 1_000) {
        touch.run(now, runId);
        touched = now;
      }
    });
    this.commitBatch = (batch) => commitBatch.immediate(batch);
  }

  nextPending(limit: number): Item[] {
    const rows = this.selectPending.all(this.runId, this.cursor, limit);
    const last = rows.at(-1);
    if (last) this.cursor = last.idx;
    return rows.map((row) => {
      const item: Item = { index: row.idx, id: row.id, line: row.line, request: JSON.parse(row.request) };
      if (row.columns !== null) item.columns = JSON.parse(row.columns) as string[];
      return item;
    });
  }

  record(item: Item, result: ItemResult): void {
    if (this.failure) throw this.failure;
    this.waiting.push({ item, result });
    if (this.waiting.length >= (this.options.commitEveryResults ?? 1000)) {
      this.commit();
    } else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        if (this.scheduled) this.commit();
      });
    }
  }

  flush(): void {
    this.commit();
    if (this.failure) throw this.failure;
  }

  private commit(): void {
    this.scheduled = false;
    if (this.waiting.length === 0 || this.failure) return;
    const batch = this.waiting;
    this.waiting = [];
    try {
      this.commitBatch(batch);
    } catch (error) {
      this.failure = stateError(this.dbPath, error);
      return;
    }
    this.options.onCommitted?.(batch);
  }
}
