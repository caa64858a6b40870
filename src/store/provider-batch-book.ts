import type Database from "better-sqlite3";
import type { BatchState, BatchStatus } from "../core/provider.js";
import type { ItemRequest } from "../core/types.js";
import { stateError } from "./state-db.js";

/**
 * Where a chunk stands: `recorded` (written with its nonce; whether the provider has it is not known
 * until its create call answers, or `find` says), then the provider's states, then `settled` once
 * its results are in the items (or, refused, its items are back in the queue).
 */
export type ChunkStatus = "recorded" | BatchState | "settled";

/** One chunk of a run sent as one provider batch. */
export interface ChunkRecord {
  nonce: string;
  runId: string;
  provider: string;
  /** The model of an OpenAI chunk; `*` for a chunk that may mix models. */
  model: string;
  scope: string;
  keyFingerprint: string;
  batchId: string | null;
  status: ChunkStatus;
  size: number;
  /** Estimated prompt tokens, for the enqueued-token cap. */
  tokens: number;
  succeeded: number;
  failed: number;
  error: string | null;
  createdAt: number;
  expiresAt: number | null;
  updatedAt: number;
}

export type NewChunk = Pick<
  ChunkRecord,
  "nonce" | "provider" | "model" | "scope" | "keyFingerprint" | "tokens"
>;

/** An item as batch mode reads it. */
export interface BatchItem {
  index: number;
  id: string;
  line: number;
  request: ItemRequest;
  columns?: string[];
  status: string;
  nonce: string | null;
  attempts: number;
}

interface ChunkRow {
  nonce: string;
  run_id: string;
  provider: string;
  model: string;
  scope: string;
  key_fingerprint: string;
  batch_id: string | null;
  status: ChunkStatus;
  size: number;
  tokens: number;
  succeeded: number;
  failed: number;
  error: string | null;
  created_at: number;
  expires_at: number | null;
  updated_at: number;
}

interface ItemRow {
  idx: number;
  id: string;
  line: number;
  request: string;
  columns: string | null;
  status: string;
  batch_nonce: string | null;
  batch_attempts: number;
}

const PAGE = 1_000;

function toChunk(row: ChunkRow): ChunkRecord {
  return {
    nonce: row.nonce,
    runId: row.run_id,
    provider: row.provider,
    model: row.model,
    scope: row.scope,
    keyFingerprint: row.key_fingerprint,
    batchId: row.batch_id,
    status: row.status,
    size: row.size,
    tokens: row.tokens,
    succeeded: row.succeeded,
    failed: row.failed,
    error: row.error,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    updatedAt: row.updated_at,
  };
}

function toItem(row: ItemRow): BatchItem {
  const item: BatchItem = {
    index: row.idx,
    id: row.id,
    line: row.line,
    request: JSON.parse(row.request) as ItemRequest,
    status: row.status,
    nonce: row.batch_nonce,
    attempts: row.batch_attempts,
  };
  if (row.columns !== null) item.columns = JSON.parse(row.columns) as string[];
  return item;
}

/**
 * A run's provider batches in the state database, and which items each holds. A chunk and its items
 * are written in one transaction before anything is sent, so a crash at any later moment finds them.
 */
export class ProviderBatchBook {
  private readonly selectItem: Database.Statement<[string, number], ItemRow>;
  private readonly requeueItem: Database.Statement<[number, string, number]>;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly runId: string,
    private readonly now: () => number,
  ) {
    this.selectItem = db.prepare(
      "SELECT idx, id, line, request, columns, status, batch_nonce, batch_attempts FROM items WHERE run_id = ? AND idx = ?",
    );
    this.requeueItem = db.prepare(
      "UPDATE items SET batch_nonce = NULL, batch_attempts = ? WHERE run_id = ? AND idx = ? AND status = 'pending'",
    );
  }

  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      throw stateError(this.path, error);
    }
  }

  /** Runs `step` in one transaction (many small writes, one commit). */
  inTransaction(step: () => void): void {
    this.guard(() => this.db.transaction(step).immediate());
  }

  /** Every chunk of the run, oldest first. */
  chunks(): ChunkRecord[] {
    return this.db
      .prepare<[string], ChunkRow>(
        "SELECT * FROM provider_batches WHERE run_id = ? ORDER BY created_at, rowid",
      )
      .all(this.runId)
      .map(toChunk);
  }

  chunk(nonce: string): ChunkRecord | undefined {
    const row = this.db
      .prepare<[string], ChunkRow>("SELECT * FROM provider_batches WHERE nonce = ?")
      .get(nonce);
    return row && toChunk(row);
  }

  /** The ids of every batch any chunk of any run holds: a lost batch found again is never one of them. */
  knownBatchIds(): Set<string> {
    return new Set(
      this.db
        .prepare<[], { batch_id: string }>("SELECT batch_id FROM provider_batches WHERE batch_id IS NOT NULL")
        .all()
        .map((row) => row.batch_id),
    );
  }

  /** Pending items in no batch, of one provider, in input order, read in pages. */
  *freeItems(provider: string): Generator<BatchItem> {
    const page = this.db.prepare<[string, string, number, number], ItemRow>(
      `SELECT idx, id, line, request, columns, status, batch_nonce, batch_attempts FROM items
       WHERE run_id = ? AND provider = ? AND status = 'pending' AND batch_nonce IS NULL AND idx > ?
       ORDER BY idx LIMIT ?`,
    );
    let cursor = -1;
    for (;;) {
      const rows = page.all(this.runId, provider, cursor, PAGE);
      for (const row of rows) yield toItem(row);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      cursor = last.idx;
    }
  }

  /** Providers with pending items in no batch. */
  freeProviders(): string[] {
    return this.db
      .prepare<[string], { provider: string }>(
        "SELECT DISTINCT provider FROM items WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NULL",
      )
      .all(this.runId)
      .map((row) => row.provider);
  }

  /** The pending items of a chunk, in input order (to write its submission file again). */
  *chunkItems(nonce: string): Generator<BatchItem> {
    const page = this.db.prepare<[string, string, number, number], ItemRow>(
      `SELECT idx, id, line, request, columns, status, batch_nonce, batch_attempts FROM items
       WHERE run_id = ? AND batch_nonce = ? AND status = 'pending' AND idx > ? ORDER BY idx LIMIT ?`,
    );
    let cursor = -1;
    for (;;) {
      const rows = page.all(this.runId, nonce, cursor, PAGE);
      for (const row of rows) yield toItem(row);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      cursor = last.idx;
    }
  }

  /** An item by its index, whatever its state. */
  item(index: number): BatchItem | undefined {
    const row = this.selectItem.get(this.runId, index);
    return row && toItem(row);
  }

  /**
   * Records a chunk and puts its items in it, in one transaction, before any call to the provider.
   * Items no longer pending or already in a batch are left out; returns how many went in. With
   * `--max-cost`, `reservedUsd[i]` is what item `indexes[i]` holds against the cap while in the batch.
   */
  recordChunk(chunk: NewChunk, indexes: readonly number[], reservedUsd?: readonly number[]): number {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const now = this.now();
          this.db
            .prepare(
              `INSERT INTO provider_batches (nonce, run_id, provider, model, scope, key_fingerprint, status, size, tokens,
                                             created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, 'recorded', 0, ?, ?, ?)`,
            )
            .run(
              chunk.nonce,
              this.runId,
              chunk.provider,
              chunk.model,
              chunk.scope,
              chunk.keyFingerprint,
              chunk.tokens,
              now,
              now,
            );
          const claim = this.db.prepare(
            `UPDATE items SET batch_nonce = ?, batch_reserved_usd = ?
             WHERE run_id = ? AND idx = ? AND status = 'pending' AND batch_nonce IS NULL`,
          );
          let size = 0;
          indexes.forEach((index, i) => {
            size += claim.run(chunk.nonce, reservedUsd?.[i] ?? null, this.runId, index).changes;
          });
          this.db.prepare("UPDATE provider_batches SET size = ? WHERE nonce = ?").run(size, chunk.nonce);
          return size;
        })
        .immediate(),
    );
  }

  /** What the provider says of the chunk's batch. */
  update(nonce: string, status: BatchStatus): void {
    this.guard(() =>
      this.db
        .prepare(
          `UPDATE provider_batches SET batch_id = ?, status = ?, succeeded = ?, failed = ?, expires_at = ?,
             error = ?, updated_at = ? WHERE nonce = ? AND status != 'settled'`,
        )
        .run(
          status.id,
          status.state,
          status.counts.succeeded,
          status.counts.failed,
          status.expiresAt ?? null,
          status.failure ? `${status.failure.code}: ${status.failure.message}` : null,
          this.now(),
          nonce,
        ),
    );
  }

  /** Notes why a call about the chunk failed (it is tried again later). */
  noteError(nonce: string, message: string): void {
    this.guard(() =>
      this.db
        .prepare("UPDATE provider_batches SET error = ?, updated_at = ? WHERE nonce = ?")
        .run(message, this.now(), nonce),
    );
  }

  /** Takes one item out of its batch, back to the queue, having used `attempts` batch attempts. */
  requeue(index: number, attempts: number): void {
    this.guard(() => this.requeueItem.run(attempts, this.runId, index));
  }

  /**
   * The chunk is done with: its items still pending (expired, cancelled, missing from the results,
   * or the batch refused) go back to the queue, and it is `settled`. One transaction, after the
   * results it gave were committed.
   */
  settle(nonce: string, error?: string): number {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const released = this.db
            .prepare(
              "UPDATE items SET batch_nonce = NULL WHERE run_id = ? AND batch_nonce = ? AND status = 'pending'",
            )
            .run(this.runId, nonce).changes;
          this.db
            .prepare(
              "UPDATE provider_batches SET status = 'settled', error = coalesce(?, error), updated_at = ? WHERE nonce = ?",
            )
            .run(error ?? null, this.now(), nonce);
          return released;
        })
        .immediate(),
    );
  }

  /**
   * What the run's items in batches hold against `--max-cost`: their worst cases, until each one's
   * result (which carries its real cost) or its return to the queue releases it. Read from the
   * database, so a process that died with batches open leaves their reservations to the next one.
   */
  reservedUsd(): number {
    return (
      this.db
        .prepare<[string], { usd: number | null }>(
          `SELECT sum(batch_reserved_usd) AS usd FROM items
           WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NOT NULL`,
        )
        .get(this.runId)?.usd ?? 0
    );
  }

  /** Pending items in a batch that hold no reservation (sent without `--max-cost`), in input order. */
  *unreservedItems(): Generator<BatchItem> {
    const page = this.db.prepare<[string, number, number], ItemRow>(
      `SELECT idx, id, line, request, columns, status, batch_nonce, batch_attempts FROM items
       WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NOT NULL AND batch_reserved_usd IS NULL
         AND idx > ? ORDER BY idx LIMIT ?`,
    );
    let cursor = -1;
    for (;;) {
      const rows = page.all(this.runId, cursor, PAGE);
      for (const row of rows) yield toItem(row);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      cursor = last.idx;
    }
  }

  /** Sets what items in batches hold against `--max-cost` (index, USD), in one transaction. */
  reserve(reservations: readonly (readonly [number, number])[]): void {
    const set = this.db.prepare(
      "UPDATE items SET batch_reserved_usd = ? WHERE run_id = ? AND idx = ? AND status = 'pending'",
    );
    this.inTransaction(() => {
      for (const [index, usd] of reservations) set.run(usd, this.runId, index);
    });
  }

  /** Items of the run at a provider (in a batch not settled). */
  atProvider(): number {
    return (
      this.db
        .prepare<[string], { n: number }>(
          "SELECT count(*) AS n FROM items WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NOT NULL",
        )
        .get(this.runId)?.n ?? 0
    );
  }
}
