import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { MetasyncError } from "../core/errors.js";
import { migrate, SCHEMA_VERSION } from "./migrations.js";

/** The state database could not be opened, read or written. Nothing committed is lost. */
export class StateError extends MetasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
  }
}

/**
 * How long a statement waits for another process's write transaction before it fails as locked.
 * Write transactions are short (a group commit, a claim, a batch of ingested rows); this covers a
 * slow disk or another process deleting a large run.
 */
const BUSY_TIMEOUT_MS = 15_000;

/**
 * Opens (creating if needed) the SQLite state database in WAL mode, migrated to the current schema.
 * A new database and its directory are private (0600, 0700): they hold prompts and answers. SQLite
 * gives the -wal and -shm files the database file's mode.
 */
export function openStateDb(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ":memory:" && path !== "") createPrivately(path);
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // Results are committed in small groups, as they arrive (sqlite-ledger.ts): each commit
    // rewrites the same few hot pages (the status index, the B-trees' upper levels). Checkpointing
    // every 10,000 WAL pages (40 MB) rather than every 1,000 copies each of them to the database a
    // tenth as often; the WAL is removed when the last connection closes.
    db.pragma("wal_autocheckpoint = 10000");
    db.pragma("foreign_keys = ON");
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StateError(
        `${path} was written by a newer metasync (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade metasync or use --state`,
      );
    }
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw stateError(path, error);
  }
}

/** Creates the database file (and its missing directories) readable by the user only; an existing file keeps its mode. */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
/** A failure of the state database as a message that says what to do. */
export function stateError(path: string, error: unknown): MetasyncError {
  if (error instanceof MetasyncError) return error;
  const code = (error as { code?: string }).code ?? "";
  const why: Record<string, string> = {
    SQLITE_NOTADB: "is not a metasync state database, or it is corrupt; move it away or use --state",
    SQLITE_CORRUPT: "is corrupt; move it away (and its -wal file) or use --state",
    SQLITE_BUSY: "is locked by another process; wait for it to finish or use --state",
    SQLITE_READONLY: "is read-only; make it writable or use --state to put the state elsewhere",
    SQLITE_CANTOPEN: "cannot be opened (does its directory exist and is it writable?); use --state",
    SQLITE_FULL: "cannot be written: the disk is full; free space and rerun to resume",
    SQLITE_IOERR: "cannot be written (I/O error); check the disk and rerun to resume",
    EACCES: "cannot be created: permission denied; use --state to put it elsewhere",
    EROFS: "cannot be created: read-only file system; use --state to put it elsewhere",
    ENOSPC: "cannot be created: the disk is full",
    EEXIST: "cannot be created: a file stands where its directory should be; use --state",
    ENOTDIR: "cannot be created: a file stands where its directory should be; use --state",
  };
  const known = Object.entries(why).find(([prefix]) => code.startsWith(prefix));
  const detail = known ? known[1] : `failed: ${(error as Error).message}`;
  return new StateError(`state database ${path} ${detail}`, { cause: error });
}
