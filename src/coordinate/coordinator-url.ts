import { UsageError } from "../core/errors.js";

/** Where the coordinator is: a TCP URL for the Redis client, or a unix socket; and how to name it. */
export interface CoordinatorAddress {
  /** `redis://…` or `rediss://…` as given, for the client. */
  url?: string;
  /** A unix socket's path. */
  socketPath?: string;
  /** The database number (`/1` in a URL, `?db=1` for a socket). */
  database?: number;
  /** The address without its password: what messages show. */
  shown: string;
}

/**
 * Reads `--coordinator` / `METASYNC_COORDINATOR`: `redis://[user:password@]host[:port][/db]`,
 * `rediss://…` (TLS), or a unix socket as `unix:///path/to/redis.sock[?db=N]`. A bad one is a usage
 * error (exit 2) before anything is read or sent.
 */
export function parseCoordinator(text: string): CoordinatorAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--coordinator ${JSON.stringify(text)}: not a URL; give redis://host:6379/0 or unix:///path/to/redis.sock`,
    );
  }
  if (url.protocol === "unix:" || url.protocol === "redis+unix:") {
    if (url.pathname === "" || url.pathname === "/") {
      throw new UsageError(`--coordinator ${text}: name the socket, as in unix:///run/redis/redis.sock`);
    }
    const db = url.searchParams.get("db");
    const database = db === null ? undefined : databaseNumber(text, db);
    return {
      socketPath: decodeURIComponent(url.pathname),
      ...(database === undefined ? {} : { database }),
      shown: `unix://${decodeURIComponent(url.pathname)}${database === undefined ? "" : `?db=${database}`}`,
    };
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new UsageError(
      `--coordinator ${text}: metasync coordinates through Redis; give redis://, rediss:// or unix:// (got ${url.protocol})`,
    );
  }
  if (url.pathname.length > 1) databaseNumber(text, url.pathname.slice(1));
  const shown = new URL(text);
  if (shown.password !== "") shown.password = "***";
  return { url: text, shown: shown.toString() };
}

function databaseNumber(text: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--coordinator ${text}: the database must be a number, got "${value}"`);
  }
  return n;
}
