import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { processAlive } from "../core/process-alive.js";
import type { RunOwner } from "../store/state-store.js";
import type { CliIo } from "./io.js";

export interface StateFlags {
  /** `--state`: the SQLite state database. */
  state?: string | undefined;
}

export const stateOption = [
  "--state <file>",
  "SQLite state database (default .metasync/state.db, or $METASYNC_STATE)",
] as const;

/** `--state`, else `$METASYNC_STATE`, else `.metasync/state.db`, against the working directory. */
export function statePath(flags: StateFlags, io: CliIo): string {
  return resolve(io.cwd, flags.state ?? io.env.METASYNC_STATE ?? join(".metasync", "state.db"));
}

/** This process, as the state database names a run's holder: to tell whether a holder still runs. */
export function thisProcess(): RunOwner {
  return { host: hostname(), pid: process.pid, isAlive: processAlive, now: Date.now };
}
