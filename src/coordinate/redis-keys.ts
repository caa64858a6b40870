/**
 * Every Redis key metasync creates, in one place (the README lists them with how they expire). A
 * scope or run is named only as metasync names it elsewhere — a scope by `provider:fingerprint` or
 * the pool file's scope name, a run by its id — never by a key. The `{…}` hash tag keeps the keys
 * one script touches in one slot of a Redis Cluster.
 */
export const PREFIX = "metasync:";

export function scopeKeys(scope: string): { hash: string; inflight: string; window: string } {
  const tag = `${PREFIX}{scope:${scope}}`;
  return { hash: tag, inflight: `${tag}:inflight`, window: `${tag}:window` };
}

/** The shared runs, by id, scored by their owner's last heartbeat (ms): where workers look for work. */
export const RUNS = `${PREFIX}runs`;

/** A shared run's keys: its description, the items to take, and the results workers send back. */
export function runKeys(runId: string): { run: string; items: string; results: string } {
  const tag = `${PREFIX}{run:${runId}}`;
  return { run: tag, items: `${tag}:items`, results: `${tag}:results` };
}

/** The consumer group every taker of a shared run's items (workers and the owner) belongs to. */
export const TAKERS = "takers";

/** Keys found dead by any process: `provider:fingerprint` → why (never the key itself). */
export const DEAD_KEYS = `${PREFIX}keys:dead`;
