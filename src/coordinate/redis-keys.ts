/**
 * Every Redis key metasync creates, in one place (the README lists them with how they expire). A
 * scope or run is named only as metasync names it elsewhere — a scope by `provider:fingerprint` or
 * the pool file's scope name, a run by its id — never by a key. The `{…}` hash tag keeps the keys
 * one script touches in one slot of a Redis Cluster.
 */
export const PREFIX = "metasync:";

export function scopeKeys(scope: string): { hash: string; inflight: string } {
  const tag = `${PREFIX}{scope:${scope}}`;
  return { hash: tag, inflight: `${tag}:inflight` };
}
