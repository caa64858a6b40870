import type Database from "better-sqlite3";

/**
 * The schema, one step per version (`PRAGMA user_version`). Never edit a step that has shipped:
 * add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs and their items.
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     name TEXT,
     input_path TEXT NOT NULL,
     input_fingerprint TEXT,
     options_fingerprint TEXT NOT NULL,
     options_json TEXT NOT NULL,
     csv_header TEXT,
     status TEXT NOT NULL,
     total INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX runs_by_key ON runs(key, created_at);
   CREATE TABLE items (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     id TEXT NOT NULL,
     line INTEGER NOT NULL,
     provider TEXT NOT NULL,
     request TEXT NOT NULL,
     columns TEXT,
     status TEXT NOT NULL DEFAULT 'pending',
     result TEXT,
     PRIMARY KEY (run_id, idx)
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX items_by_id ON items(run_id, id);
   CREATE INDEX items_by_status ON items(run_id, status, idx);`,
  // 2: the response cache, and which results went to stdout already.
  `CREATE TABLE response_cache (
     request_hash TEXT PRIMARY KEY,
     result TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   ALTER TABLE items ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
   ALTER TABLE items ADD COLUMN emitted INTEGER NOT NULL DEFAULT 0;`,
  // 3: which process is working on a run, so two never send the same run at once.
  `ALTER TABLE runs ADD COLUMN owner_host TEXT;
   ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
   ALTER TABLE runs ADD COLUMN heartbeat INTEGER;`,
  // 4: a cached answer is keyed by the endpoint that gave it too (request-hash.ts). Older entries do
  // not say which endpoint answered (a rehearsal against a mock server looks like any other), so
  // they are dropped rather than served as real answers. Runs and their results are untouched.
  `DELETE FROM response_cache;`,
  // 5: an eval's graded rows. An eval is a run whose items are its rows (options_json.kind = 'eval');
  // each row's verdict is kept with the key that pairs it with the same row of another eval.
  `CREATE TABLE eval_rows (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     row_key TEXT NOT NULL,
     status TEXT NOT NULL,
     score REAL NOT NULL,
     row TEXT NOT NULL,
     PRIMARY KEY (run_id, idx)
   ) WITHOUT ROWID;`,
  // 6: when each result was committed (epoch ms), so `status` measures a running run's rate. Results
  // committed before this step, and answers from the response cache, have none.
  `ALTER TABLE items ADD COLUMN finished_at INTEGER;
   CREATE INDEX items_by_finish ON items(run_id, finished_at) WHERE finished_at IS NOT NULL;`,
  // 7: an eval's judge calls (model-graded assertions), each answer kept by its request's hash (grader,
  // judge prompt, sample), so rerunning the eval gives every verdict already given without paying again.
  `CREATE TABLE eval_judge_calls (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     request_hash TEXT NOT NULL,
     result TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (run_id, request_hash)
   ) WITHOUT ROWID;`,
  // 8: provider batch mode (--via batch): each chunk of a run sent through a provider's batch API,
  // recorded with its nonce before any call (design/batch.md), and which chunk each item is in.
  `CREATE TABLE provider_batches (
     nonce TEXT PRIMARY KEY,
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     provider TEXT NOT NULL,
     model TEXT NOT NULL,
     scope TEXT NOT NULL,
     key_fingerprint TEXT NOT NULL,
     batch_id TEXT,
     status TEXT NOT NULL,
     size INTEGER NOT NULL,
     tokens INTEGER NOT NULL,
     succeeded INTEGER NOT NULL DEFAULT 0,
     failed INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX provider_batches_by_run ON provider_batches(run_id, created_at);
   ALTER TABLE items ADD COLUMN batch_nonce TEXT;
   ALTER TABLE items ADD COLUMN batch_attempts INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX items_by_batch ON items(run_id, batch_nonce, idx) WHERE batch_nonce IS NOT NULL;`,
  // 9: --max-cost with --via batch: what each item in a provider batch holds against the cap (its
  // worst case at the batch price) until its result replaces it with the real cost.
  "ALTER TABLE items ADD COLUMN batch_reserved_usd REAL;",
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to `target` (default: the latest), each step in its own IMMEDIATE
 * transaction. The version is read again inside each transaction: two processes opening a new
 * database at once take turns, and the second finds the steps done instead of running them again.
 */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  if (version() >= target) return;
  const step = db.transaction(() => {
    const current = version();
    if (current >= target) return false;
    db.exec(MIGRATIONS[current] as string);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one step a transaction, until the database is at `target`
  }
}
