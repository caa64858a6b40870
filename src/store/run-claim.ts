import { ExitCode, MetasyncError } from "../core/errors.js";

/** A run claimed from another host is taken over once its heartbeat is this old. */
const OTHER_HOST_LEASE_MS = 60_000;

/** Who is working on a run: this process. */
export interface RunOwner {
  host: string;
  pid: number;
  isAlive: (pid: number) => boolean;
  now: () => number;
}

/** Another live process is working on the run (exit 2: nothing was sent by this one). */
export class RunBusyError extends MetasyncError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A run's holder, as the `runs` table records it. */
export interface HolderRow {
  id: string;
  owner_host: string | null;
  owner_pid: number | null;
  heartbeat: number | null;
}

/**
 * Whether another live process holds the run: on this host, a process that is still running; on
 * another host, one whose heartbeat is recent. A run nobody holds, or held by `owner`, is free.
 */
export function heldByOther(row: HolderRow, owner: RunOwner): boolean {
  if (!row.owner_host || row.owner_pid === null) return false;
  const sameHost = row.owner_host === owner.host;
  if (sameHost && row.owner_pid === owner.pid) return false;
  return sameHost ? owner.isAlive(row.owner_pid) : owner.now() - (row.heartbeat ?? 0) < OTHER_HOST_LEASE_MS;
}

export function runBusy(row: HolderRow): RunBusyError {
  return new RunBusyError(
    `run ${row.id} is being processed by another metasync (pid ${row.owner_pid} on ${row.owner_host}); ` +
      "wait for it to finish or stop it, then rerun",
  );
}
