import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { MetasyncError } from "../core/errors.js";
import type { Item, ItemResult, ResultEntry } from "../core/types.js";
import { requestHash } from "./request-hash.js";
import { type ItemCounts, type RunRecord, type RunRow, type RunStatus, toRunRecord } from "./run-record.js";
import { type LedgerOptions, SqliteLedger } from "./sqlite-ledger.js";
import { openStateDb, stateError } from "./state-db.js";

export interface NewRun {
  key: string;
  name: string | null;
  slug: string;
  inputPath: string;
  optionsFingerprint: string;
  options: Record<string, unknown>;
}

/** Ingests a run's items in batched transactions; ids are unique per run. */
export interface RunIngest {
  /** Adds an item, or returns the line of an earlier item with the same id (and adds nothing). */
  add(item: Item): number | undefined;
  /** Commits the rest and marks the run open. */
  finish(details: { fingerprint: string; total: number; csvHeader: readonly string[] | undefined }): void;
}

const INGEST_BATCH = 5_000;
/** A run claimed from another host is taken over once its heartbeat is this old. */
const OTHER_HOST_LEASE_MS = 60_000;

/** Who is working on a run: this process. */
export interface RunOwner {
  host: string;
  pid: number;
  isAlive: (pid: number) => boolean;
  now: () => number;
}

/** Another live process is working on the run. */
export class RunBusyError extends MetasyncError {
  constructor(message: string) {
    super(message, 2);
  }
}
const PAGE = 1_000;

/** The state database: runs, their items and results, and the response cache (DESIGN §5). */
export class StateStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(path: string): StateStore {
    return new StateStore(openStateDb(path), path);
  }

  close(): void {
    this.db.close();
  }

  /** Runs a database step, turning SQLite failures into messages a user can act on. */
  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      throw stateError(this.path, error);
    }
  }

  latestRun(key: string): RunRecord | undefined {
    const row = this.db
      .prepare<[string], RunRow>(
        "SELECT * FROM runs WHERE key = ? AND status != 'ingesting' ORDER BY created_at DESC, rowid DESC LIMIT 1",
      )
      .get(key);
    return row && toRunRecord(row);
  }

  /** A run by id, name, or unique id prefix. */
  findRun(ref: string): RunRecord | undefined {
    const exact = this.db
      .prepare<[string, string], RunRow>(
        "SELECT * FROM runs WHERE (id = ? OR name = ?) AND status != 'ingesting' ORDER BY created_at DESC LIMIT 1",
      )
      .get(ref, ref);
    if (exact) return toRunRecord(exact);
    const byPrefix = this.db
      .prepare<[string, string], RunRow>(
        "SELECT * FROM runs WHERE substr(id, 1, length(?)) = ? AND status != 'ingesting'",
      )
      .all(ref, ref);
    return byPrefix.length === 1 ? toRunRecord(byPrefix[0] as RunRow) : undefined;
  }

  listRuns(): RunRecord[] {
    return this.db
      .prepare<[], RunRow>(
        "SELECT * FROM runs WHERE status != 'ingesting' ORDER BY created_at DESC, rowid DESC",
      )
      .all()
      .map(toRunRecord);
  }

  createRun(run: NewRun): RunRecord {
    return this.guard(() => {
      const now = Date.now();
      const id = `${run.slug}-${randomBytes(4).toString("hex")}`;
      this.db
        .prepare(
          `INSERT INTO runs (id, key, name, input_path, options_fingerprint, options_json, status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'ingesting', ?, ?)`,
        )
        .run(
          id,
          run.key,
          run.name,
          run.inputPath,
          run.optionsFingerprint,
          JSON.stringify(run.options),
          now,
          now,
        );
      const row = this.db.prepare<[string], RunRow>("SELECT * FROM runs WHERE id = ?").get(id) as RunRow;
      return toRunRecord(row);
    });
  }

  deleteRun(runId: string): void {
    this.guard(() => {
      this.db.transaction(() => {
        this.db.prepare("DELETE FROM items WHERE run_id = ?").run(runId);
        this.db.prepare("DELETE FROM runs WHERE id = ?").run(runId);
      })();
    });
  }

  setKey(runId: string, key: string): void {
    this.guard(() => this.db.prepare("UPDATE runs SET key = ? WHERE id = ?").run(key, runId));
  }

  /**
   * Claims a run for this process. Refused while another live process holds it: on this host, a
   * process that is still running; on another host, one whose heartbeat is recent.
   */
  claimRun(runId: string, owner: RunOwner): void {
    this.guard(() =>
      this.db.transaction(() => {
        const row = this.db
          .prepare<
            [string],
            { owner_host: string | null; owner_pid: number | null; heartbeat: number | null }
          >("SELECT owner_host, owner_pid, heartbeat FROM runs WHERE id = ?")
          .get(runId);
        if (row?.owner_host && row.owner_pid !== null) {
          const sameHost = row.owner_host === owner.host;
          const self = sameHost && row.owner_pid === owner.pid;
          const alive = sameHost
            ? owner.isAlive(row.owner_pid)
            : owner.now() - (row.heartbeat ?? 0) < OTHER_HOST_LEASE_MS;
          if (!self && alive) {
            throw new RunBusyError(
              `run ${runId} is being processed by another metasync (pid ${row.owner_pid} on ${row.owner_host}); ` +
                "wait for it to finish or stop it, then rerun",
            );
          }
        }
        this.db
          .prepare("UPDATE runs SET owner_host = ?, owner_pid = ?, heartbeat = ? WHERE id = ?")
          .run(owner.host, owner.pid, owner.now(), runId);
      })(),
    );
  }

  /** Keeps this process's claim fresh. */
  heartbeat(runId: string, now: number): void {
    this.guard(() => this.db.prepare("UPDATE runs SET heartbeat = ? WHERE id = ?").run(now, runId));
  }

  releaseRun(runId: string): void {
    this.guard(() =>
      this.db
        .prepare("UPDATE runs SET owner_host = NULL, owner_pid = NULL, heartbeat = NULL WHERE id = ?")
        .run(runId),
    );
  }

  setStatus(runId: string, status: RunStatus): void {
    this.guard(() =>
      this.db
        .prepare("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?")
        .run(status, Date.now(), runId),
    );
  }

  ingest(runId: string): RunIngest {
    const insert = this.db.prepare(
      `INSERT INTO items (run_id, idx, id, line, provider, request, request_hash, columns)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, id) DO NOTHING`,
    );
    const firstLine = this.db.prepare<[string, string], { line: number }>(
      "SELECT line FROM items WHERE run_id = ? AND id = ?",
    );
    let inBatch = 0;
    const begin = () => {
      if (inBatch === 0) this.db.exec("BEGIN");
    };
    const commit = () => {
      if (this.db.inTransaction) this.db.exec("COMMIT");
      inBatch = 0;
    };
    return {
      add: (item) =>
        this.guard(() => {
          begin();
          const result = insert.run(
            runId,
            item.index,
            item.id,
            item.line,
            item.request.model.provider,
            JSON.stringify(item.request),
            requestHash(item.request),
            item.columns ? JSON.stringify(item.columns) : null,
          );
          if (result.changes === 0) return firstLine.get(runId, item.id)?.line ?? 0;
          if (++inBatch >= INGEST_BATCH) commit();
          return undefined;
        }),
      finish: ({ fingerprint, total, csvHeader }) =>
        this.guard(() => {
          commit();
          this.db
            .prepare(
              "UPDATE runs SET input_fingerprint = ?, total = ?, csv_header = ?, status = 'open', updated_at = ? WHERE id = ?",
            )
            .run(fingerprint, total, csvHeader ? JSON.stringify(csvHeader) : null, Date.now(), runId);
        }),
    };
  }

  /** Abandons an ingest that failed validation: nothing of it stays. */
  abortIngest(runId: string): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    this.deleteRun(runId);
  }

  counts(runId: string): ItemCounts {
    const rows = this.db
      .prepare<[string], { status: string; n: number }>(
        "SELECT status, count(*) AS n FROM items WHERE run_id = ? GROUP BY status",
      )
      .all(runId);
    const of = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
    const counts = { ok: of("ok"), failed: of("error"), pending: of("pending") };
    return { total: counts.ok + counts.failed + counts.pending, ...counts };
  }

  /** Failed items by error type, most frequent first. */
  errorsByType(runId: string): { type: string; count: number }[] {
    return this.db
      .prepare<[string], { type: string; count: number }>(
        `SELECT json_extract(result, '$.error.type') AS type, count(*) AS count FROM items
         WHERE run_id = ? AND status = 'error' GROUP BY type ORDER BY count DESC`,
      )
      .all(runId);
  }

  /** What the run's answers cost so far (known costs). */
  spentUsd(runId: string): number {
    const row = this.db
      .prepare<[string], { usd: number | null }>(
        "SELECT sum(json_extract(result, '$.cost_usd')) AS usd FROM items WHERE run_id = ? AND status != 'pending'",
      )
      .get(runId);
    return row?.usd ?? 0;
  }

  /** The models pending items will be sent to, as `provider:model`. */
  pendingModels(runId: string): string[] {
    return this.db
      .prepare<[string], { model: string }>(
        `SELECT DISTINCT json_extract(request, '$.model.provider') || ':' || json_extract(request, '$.model.model') AS model
         FROM items WHERE run_id = ? AND status = 'pending'`,
      )
      .all(runId)
      .map((r) => r.model);
  }

  /** Providers that pending items will be sent to. */
  pendingProviders(runId: string): string[] {
    return this.db
      .prepare<[string], { provider: string }>(
        "SELECT DISTINCT provider FROM items WHERE run_id = ? AND status = 'pending'",
      )
      .all(runId)
      .map((r) => r.provider);
  }

  /** Puts failed items back in the queue; returns how many. */
  retryFailed(runId: string): number {
    return this.guard(
      () =>
        this.db
          .prepare(
            "UPDATE items SET status = 'pending', result = NULL, emitted = 0 WHERE run_id = ? AND status = 'error'",
          )
          .run(runId).changes,
    );
  }

  /**
   * Answers pending items from the response cache (identical requests answered before, in any run):
   * they are done without being sent. Returns how many.
   */
  applyCache(runId: string): number {
    return this.guard(
      () =>
        this.db
          .prepare(
            `UPDATE items SET status = 'ok', result = (
               SELECT json_set(c.result, '$.id', items.id, '$.cached', json('true'), '$.attempts', 0,
                               '$.latency_ms', 0, '$.cost_usd', 0)
               FROM response_cache c WHERE c.request_hash = items.request_hash)
             WHERE run_id = ? AND status = 'pending'
               AND request_hash IN (SELECT request_hash FROM response_cache)`,
          )
          .run(runId).changes,
    );
  }

  ledger(runId: string, options: LedgerOptions): SqliteLedger {
    return new SqliteLedger(this.db, this.path, runId, options);
  }

  /**
   * Every item with its result, in input order, read in pages (memory stays flat).
   * `unemittedOnly` picks finished items not yet printed to stdout.
   */
  *entries(
    runId: string,
    options: { unemittedOnly?: boolean } = {},
  ): Generator<ResultEntry & { index: number }> {
    const filter = options.unemittedOnly ? "AND status != 'pending' AND emitted = 0" : "";
    const page = this.db.prepare<
      [string, number, number],
      { idx: number; id: string; columns: string | null; result: string | null }
    >(
      `SELECT idx, id, columns, result FROM items WHERE run_id = ? AND idx > ? ${filter} ORDER BY idx LIMIT ?`,
    );
    let cursor = -1;
    for (;;) {
      const rows = page.all(runId, cursor, PAGE);
      for (const row of rows) {
        const item: ResultEntry["item"] = { id: row.id };
        if (row.columns !== null) item.columns = JSON.parse(row.columns) as string[];
        yield {
          index: row.idx,
          item,
          result: row.result === null ? undefined : (JSON.parse(row.result) as ItemResult),
        };
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      cursor = last.idx;
    }
  }

  markEmitted(runId: string, indexes: readonly number[]): void {
    const mark = this.db.prepare("UPDATE items SET emitted = 1 WHERE run_id = ? AND idx = ?");
    this.guard(() =>
      this.db.transaction(() => {
        for (const index of indexes) mark.run(runId, index);
      })(),
    );
  }
}
