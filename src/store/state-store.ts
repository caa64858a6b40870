import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { Item, ItemResult, ResultEntry } from "../core/types.js";
import { ProviderBatchBook } from "./provider-batch-book.js";
import { requestHash } from "./request-hash.js";
import { type HolderRow, heldByOther, type RunOwner, runBusy } from "./run-claim.js";
import { type ItemCounts, type RunRecord, type RunRow, type RunStatus, toRunRecord } from "./run-record.js";
import { type LedgerOptions, SqliteLedger } from "./sqlite-ledger.js";
import { openStateDb, stateError } from "./state-db.js";

export { RunBusyError, type RunOwner } from "./run-claim.js";

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

/** Where each provider's requests go, for providers sent elsewhere than their official endpoint. */
export type Endpoints = Readonly<Record<string, readonly string[]>>;

/** A claim of a run key: which run this process continues or starts (see `claimKey`). */
export interface KeyClaim {
  key: string;
  /** This process; without one, nothing is held (a library caller that runs alone). */
  owner: RunOwner | undefined;
  /** Whether to continue `latest`, the newest run of the key, rather than start one; throws to refuse. */
  continues: (latest: RunRecord) => boolean;
  /** The run to start otherwise: a new one (to ingest), or one already ingested (stdin) given the key. */
  start: { create: NewRun } | { adopt: string };
}

const INGEST_BATCH = 5_000;
const PAGE = 1_000;

/** The state database: runs, their items and results, and the response cache (DESIGN §5). */
export class StateStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    /** The clock's time, for what the database records of when (runs created, results committed). */
    private readonly now: () => number,
  ) {}

  static open(path: string, now: () => number = Date.now): StateStore {
    return new StateStore(openStateDb(path), path, now);
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

  /** A new run, still ingesting (invisible to `latestRun`, `findRun` and `listRuns`), held by `owner`. */
  createRun(run: NewRun, owner?: RunOwner): RunRecord {
    return this.guard(() => {
      const now = this.now();
      const id = `${run.slug}-${randomBytes(4).toString("hex")}`;
      this.db
        .prepare(
          `INSERT INTO runs (id, key, name, input_path, options_fingerprint, options_json, status, created_at, updated_at,
                             owner_host, owner_pid, heartbeat)
           VALUES (?, ?, ?, ?, ?, ?, 'ingesting', ?, ?, ?, ?, ?)`,
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
          owner?.host ?? null,
          owner?.pid ?? null,
          owner ? owner.now() : null,
        );
      return this.runById(id);
    });
  }

  private runById(id: string): RunRecord {
    return toRunRecord(
      this.db.prepare<[string], RunRow>("SELECT * FROM runs WHERE id = ?").get(id) as RunRow,
    );
  }

  deleteRun(runId: string): void {
    this.guard(() => {
      this.db
        .transaction(() => {
          this.db.prepare("DELETE FROM items WHERE run_id = ?").run(runId);
          this.db.prepare("DELETE FROM runs WHERE id = ?").run(runId);
        })
        .immediate();
    });
  }

  /**
   * Claims a run key for this process (DESIGN §5): in one IMMEDIATE transaction, so that of two
   * processes started at once only one starts or continues the run. Refused (RunBusyError) while
   * another live process holds a run of the key, even one it is still ingesting; otherwise the newest
   * run of the key is continued if `continues` says so, else `start` is. The run returned is held by
   * the claim's owner until `releaseRun`. A run of the key left ingesting by a process that died
   * is removed: nothing can continue it.
   */
  claimKey(claim: KeyClaim): { run: RunRecord; continued: boolean } {
    const { key, owner } = claim;
    return this.guard(() =>
      this.db
        .transaction(() => {
          if (owner) {
            const holders = this.db
              .prepare<[string], HolderRow & { status: RunStatus }>(
                "SELECT id, status, owner_host, owner_pid, heartbeat FROM runs WHERE key = ? AND owner_host IS NOT NULL",
              )
              .all(key);
            const busy = holders.find((row) => heldByOther(row, owner));
            if (busy) throw runBusy(busy);
            for (const row of holders) {
              const self = row.owner_host === owner.host && row.owner_pid === owner.pid;
              if (row.status === "ingesting" && !self) this.deleteRun(row.id);
            }
          }
          const latest = this.latestRun(key);
          const continued = latest !== undefined && claim.continues(latest);
          let runId: string;
          if (continued) {
            runId = latest.id;
          } else if ("create" in claim.start) {
            runId = this.createRun(claim.start.create).id;
          } else {
            runId = claim.start.adopt;
            this.db.prepare("UPDATE runs SET key = ? WHERE id = ?").run(key, runId);
          }
          if (owner) {
            this.db
              .prepare("UPDATE runs SET owner_host = ?, owner_pid = ?, heartbeat = ? WHERE id = ?")
              .run(owner.host, owner.pid, owner.now(), runId);
          }
          return { run: this.runById(runId), continued };
        })
        .immediate(),
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
        .run(status, this.now(), runId),
    );
  }

  /**
   * Ingests a run's items. `endpoints` (where each provider's requests go) is part of each item's
   * request hash, the response cache's key. Rows are committed in batches, each as soon as the event
   * loop is free: another process's writes never wait on this one reading its input.
   */
  ingest(runId: string, endpoints: Endpoints = {}): RunIngest {
    const insert = this.db.prepare(
      `INSERT INTO items (run_id, idx, id, line, provider, request, request_hash, columns)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, id) DO NOTHING`,
    );
    const firstLine = this.db.prepare<[string, string], { line: number }>(
      "SELECT line FROM items WHERE run_id = ? AND id = ?",
    );
    let inBatch = 0;
    let open = false;
    let idle: NodeJS.Immediate | undefined;
    let failure: unknown;
    const commit = () => {
      clearImmediate(idle);
      idle = undefined;
      // abortIngest may have rolled the batch back already.
      if (open && this.db.inTransaction) this.db.exec("COMMIT");
      open = false;
      inBatch = 0;
    };
    const begin = () => {
      if (failure) throw failure;
      if (open) return;
      this.db.exec("BEGIN IMMEDIATE");
      open = true;
      idle = setImmediate(() => {
        try {
          commit();
        } catch (error) {
          failure = error;
        }
      });
    };
    return {
      add: (item) =>
        this.guard(() => {
          begin();
          const provider = item.request.model.provider;
          const result = insert.run(
            runId,
            item.index,
            item.id,
            item.line,
            provider,
            JSON.stringify(item.request),
            requestHash(item.request, endpoints[provider]),
            item.columns ? JSON.stringify(item.columns) : null,
          );
          if (result.changes === 0) return firstLine.get(runId, item.id)?.line ?? 0;
          if (++inBatch >= INGEST_BATCH) commit();
          return undefined;
        }),
      finish: ({ fingerprint, total, csvHeader }) =>
        this.guard(() => {
          try {
            if (failure) throw failure;
            commit();
            this.db
              .prepare(
                "UPDATE runs SET input_fingerprint = ?, total = ?, csv_header = ?, status = 'open', updated_at = ? WHERE id = ?",
              )
              .run(fingerprint, total, csvHeader ? JSON.stringify(csvHeader) : null, this.now(), runId);
          } catch (error) {
            // The last commit failed (a full disk): nothing of the run stays either.
            this.abortIngest(runId);
            throw error;
          }
        }),
    };
  }

  /**
   * Abandons an ingest that failed (a bad input, a full disk): nothing of it stays. Deleting needs
   * room on the disk too; without it the run stays `ingesting` — seen by no command, and removed by
   * the next `run` once its process is gone (`dropAbandonedIngests`).
   */
  abortIngest(runId: string): void {
    try {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      this.deleteRun(runId);
    } catch {
      // the caller reports what made the ingest fail
    }
  }

  /**
   * Deletes runs left `ingesting` by processes that are gone (killed, or stopped by a full disk
   * that left no room to clean up): nothing can continue them. Returns how many.
   */
  dropAbandonedIngests(owner: RunOwner): number {
    const abandoned = this.db
      .prepare<[], HolderRow>(
        "SELECT id, owner_host, owner_pid, heartbeat FROM runs WHERE status = 'ingesting' AND owner_host IS NOT NULL",
      )
      .all()
      .filter(
        (row) => !heldByOther(row, owner) && !(row.owner_host === owner.host && row.owner_pid === owner.pid),
      );
    for (const row of abandoned) this.deleteRun(row.id);
    return abandoned.length;
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

  /** The process holding a run, if one does: `alive` when it still runs, as `viewer` (this process) sees it. */
  holder(
    runId: string,
    viewer: RunOwner,
  ): { host: string; pid: number; heartbeat: number | null; alive: boolean } | undefined {
    const row = this.db
      .prepare<[string], HolderRow>("SELECT id, owner_host, owner_pid, heartbeat FROM runs WHERE id = ?")
      .get(runId);
    if (!row?.owner_host || row.owner_pid === null) return undefined;
    return {
      host: row.owner_host,
      pid: row.owner_pid,
      heartbeat: row.heartbeat,
      alive: heldByOther(row, viewer),
    };
  }

  /** When the run's latest results were committed (epoch ms), newest first: at most `limit`, none before `since`. */
  finishTimes(runId: string, since: number, limit: number): number[] {
    return this.db
      .prepare<[string, number, number], { at: number }>(
        "SELECT finished_at AS at FROM items WHERE run_id = ? AND finished_at >= ? ORDER BY finished_at DESC LIMIT ?",
      )
      .all(runId, since, limit)
      .map((row) => row.at);
  }

  /**
   * Deletes a finished run with its items and graded rows, unless it is no longer finished or a live
   * process holds it (a rerun printing its results); says whether it did.
   */
  pruneRun(runId: string, viewer: RunOwner): boolean {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const row = this.db
            .prepare<[string], HolderRow & { status: RunStatus }>(
              "SELECT id, status, owner_host, owner_pid, heartbeat FROM runs WHERE id = ?",
            )
            .get(runId);
          if (row?.status !== "finished" || heldByOther(row, viewer)) return false;
          this.deleteRun(runId);
          return true;
        })
        .immediate(),
    );
  }

  /** Deletes the cached answers no item of any run asks for; returns how many. */
  dropUnusedCache(): number {
    return this.guard(
      () =>
        this.db
          .prepare("DELETE FROM response_cache WHERE request_hash NOT IN (SELECT request_hash FROM items)")
          .run().changes,
    );
  }

  /** Gives the file back the room deleted rows left (VACUUM), and empties the write-ahead log. */
  compact(): void {
    this.guard(() => {
      this.db.exec("VACUUM");
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    });
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
            "UPDATE items SET status = 'pending', result = NULL, emitted = 0, batch_attempts = 0 WHERE run_id = ? AND status = 'error'",
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
               SELECT json_remove(json_set(c.result, '$.id', items.id, '$.cached', json('true'), '$.attempts', 0,
                               '$.latency_ms', 0, '$.cost_usd', 0), '$.rate_limited_retries')
               FROM response_cache c WHERE c.request_hash = items.request_hash)
             WHERE run_id = ? AND status = 'pending' AND batch_nonce IS NULL
               AND request_hash IN (SELECT request_hash FROM response_cache)`,
          )
          .run(runId).changes,
    );
  }

  /** The run's provider batches (`--via batch`) and which items are in them. */
  providerBatches(runId: string): ProviderBatchBook {
    return new ProviderBatchBook(this.db, this.path, runId, this.now);
  }

  ledger(runId: string, options: LedgerOptions): SqliteLedger {
    return new SqliteLedger(this.db, this.path, runId, options, this.now);
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

  /**
   * Keeps an eval's graded rows (design/eval.md): each row's verdict and the key pairing it with the
   * same row of another eval, replacing an earlier grade of the row. Written in batched transactions.
   */
  evalVerdicts(runId: string): {
    /** `json` is the row as written to `.jsonl`. */
    add(index: number, key: string, row: { status: string; score: number }, json: string): void;
    finish(): void;
  } {
    const upsert = this.db.prepare(
      `INSERT INTO eval_rows (run_id, idx, row_key, status, score, row) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(run_id, idx) DO UPDATE SET row_key = excluded.row_key, status = excluded.status,
         score = excluded.score, row = excluded.row`,
    );
    let waiting: [number, string, { status: string; score: number }, string][] = [];
    const commit = () => {
      const batch = waiting;
      waiting = [];
      this.guard(() =>
        this.db
          .transaction(() => {
            for (const [index, key, row, json] of batch) {
              upsert.run(runId, index, key, row.status, row.score, json);
            }
          })
          .immediate(),
      );
    };
    return {
      add: (index, key, row, json) => {
        waiting.push([index, key, { status: row.status, score: row.score }, json]);
        if (waiting.length >= INGEST_BATCH) commit();
      },
      finish: () => {
        if (waiting.length > 0) commit();
      },
    };
  }

  /**
   * An eval's judge calls (design/eval.md "Resume"): the answer a judge request (by its hash) got in
   * this eval, and, when the response cache is on, an identical request's answer from any run.
   */
  judgeCalls(runId: string): JudgeCallLog {
    const inRun = this.db.prepare<[string, string], { result: string }>(
      "SELECT result FROM eval_judge_calls WHERE run_id = ? AND request_hash = ?",
    );
    const cached = this.db.prepare<[string], { result: string }>(
      "SELECT result FROM response_cache WHERE request_hash = ?",
    );
    const save = this.db.prepare(
      `INSERT INTO eval_judge_calls (run_id, request_hash, result, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(run_id, request_hash) DO UPDATE SET result = excluded.result, created_at = excluded.created_at`,
    );
    const cache = this.db.prepare(
      `INSERT INTO response_cache (request_hash, result, created_at) VALUES (?, ?, ?)
       ON CONFLICT(request_hash) DO UPDATE SET result = excluded.result, created_at = excluded.created_at`,
    );
    const parse = (row: { result: string } | undefined) =>
      row === undefined ? undefined : (JSON.parse(row.result) as ItemResult);
    return {
      given: (hash) => parse(this.guard(() => inRun.get(runId, hash))),
      cached: (hash) => parse(this.guard(() => cached.get(hash))),
      save: (hash, result) => {
        const json = JSON.stringify(result);
        const now = this.now();
        this.guard(() =>
          this.db
            .transaction(() => {
              save.run(runId, hash, json, now);
              if (result.status === "ok" && result.cached !== true) cache.run(hash, json, now);
            })
            .immediate(),
        );
      },
    };
  }

  /** What an eval's judge calls cost so far (known costs). */
  judgeSpentUsd(runId: string): number {
    const row = this.db
      .prepare<[string], { usd: number | null }>(
        "SELECT sum(json_extract(result, '$.cost_usd')) AS usd FROM eval_judge_calls WHERE run_id = ?",
      )
      .get(runId);
    return row?.usd ?? 0;
  }

  /** An eval's graded rows, in row order, read in pages: each with its pairing key and its JSON. */
  *evalRows(runId: string): Generator<{ index: number; key: string; status: string; row: string }> {
    const page = this.db.prepare<
      [string, number, number],
      { idx: number; row_key: string; status: string; row: string }
    >("SELECT idx, row_key, status, row FROM eval_rows WHERE run_id = ? AND idx > ? ORDER BY idx LIMIT ?");
    let cursor = -1;
    for (;;) {
      const rows = page.all(runId, cursor, PAGE);
      for (const row of rows) yield { index: row.idx, key: row.row_key, status: row.status, row: row.row };
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      cursor = last.idx;
    }
  }

  /** The keys of an eval's rows that failed or errored (`--filter-failing`). */
  failingEvalRows(runId: string): Set<string> {
    return new Set(
      this.db
        .prepare<[string], { row_key: string }>(
          "SELECT row_key FROM eval_rows WHERE run_id = ? AND status != 'pass'",
        )
        .all(runId)
        .map((row) => row.row_key),
    );
  }

  markEmitted(runId: string, indexes: readonly number[]): void {
    const mark = this.db.prepare("UPDATE items SET emitted = 1 WHERE run_id = ? AND idx = ?");
    this.guard(() =>
      this.db
        .transaction(() => {
          for (const index of indexes) mark.run(runId, index);
        })
        .immediate(),
    );
  }
}

/** Where an eval keeps its judge calls' answers, by request hash (`StateStore.judgeCalls`). */
export interface JudgeCallLog {
  /** The answer this eval got for the request. */
  given(hash: string): ItemResult | undefined;
  /** An identical request's answer in the response cache (any run). */
  cached(hash: string): ItemResult | undefined;
  /** Keeps an answer (a success also goes to the response cache). */
  save(hash: string, result: ItemResult): void;
}
