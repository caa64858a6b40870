import type Database from "better-sqlite3";
import type { RunLedger } from "../core/ledger.js";
import type { Item, ItemResult } from "../core/types.js";
import { stateError } from "./state-db.js";

export interface LedgerOptions {
  /** Called after each group commit with what it committed, in commit order. */
  onCommitted?: (committed: readonly Committed[]) => void;
  /** Whether committed results count as emitted to stdout (so a resume does not print them again). */
  emitted: boolean;
  /** Commit at least this often, and whenever this many results wait. */
  commitEveryMs?: number;
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
 * The run's items in SQLite: pending items are handed out in pages, in input order; results are
 * group-committed (one transaction for many) so the database never limits throughput. A result
 * counts as done only once committed.
 */
export class SqliteLedger implements RunLedger {
  private cursor = -1;
  private waiting: Committed[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: unknown;
  private readonly selectPending: Database.Statement<[string, number, number], ItemRow>;
  private readonly commitBatch: (batch: readonly Committed[]) => void;

  constructor(
    db: Database.Database,
    private readonly dbPath: string,
    private readonly runId: string,
    private readonly options: LedgerOptions,
  ) {
    this.selectPending = db.prepare(
      `SELECT idx, id, line, request, columns FROM items
       WHERE run_id = ? AND status = 'pending' AND idx > ? ORDER BY idx LIMIT ?`,
    );
    const update = db.prepare(
      "UPDATE items SET status = ?, result = ?, emitted = ? WHERE run_id = ? AND idx = ?",
    );
    const cache = db.prepare(
      `INSERT INTO response_cache (request_hash, result, created_at)
       SELECT request_hash, ?, ? FROM items WHERE run_id = ? AND idx = ?
       ON CONFLICT(request_hash) DO UPDATE SET result = excluded.result, created_at = excluded.created_at`,
    );
    const touch = db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?");
    const emitted = options.emitted ? 1 : 0;
    this.commitBatch = db.transaction((batch: readonly Committed[]) => {
      const now = Date.now();
      for (const { item, result } of batch) {
        const json = JSON.stringify(result);
        update.run(result.status, json, emitted, runId, item.index);
        if (result.status === "ok") cache.run(json, now, runId, item.index);
      }
      touch.run(now, runId);
    });
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
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.commit(), this.options.commitEveryMs ?? 50);
    }
  }

  flush(): void {
    this.commit();
    if (this.failure) throw this.failure;
  }

  private commit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
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
