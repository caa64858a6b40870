import { existsSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import type { RunRecord } from "./run-record.js";
import { StateStore } from "./state-store.js";

/** Opens an existing state database for `work`, and closes it after. */
export async function withStore<T>(path: string, work: (store: StateStore) => T | Promise<T>): Promise<T> {
  if (!existsSync(path)) {
    throw new UsageError(`no state database at ${path} (nothing has run here yet; see --state)`);
  }
  const store = StateStore.open(path);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

/** A run by id, unique id prefix or name, or a usage error that says where to look. */
export function requireRun(store: StateStore, ref: string): RunRecord {
  const run = store.findRun(ref);
  if (!run) throw new UsageError(`no run "${ref}" in ${store.path} (see metasync runs)`);
  return run;
}
