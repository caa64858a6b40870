import { resolve } from "node:path";
import { systemClock } from "../core/clock.js";
import { UsageError } from "../core/errors.js";
import { loadKeyFile } from "../keys/load-keys.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { executeWorker } from "../run/execute-worker.js";
import { coordinatorOf, DEFAULTS, LIMITS } from "../run/run-settings.js";
import type { CliIo } from "./io.js";
import { withSending } from "./sending-command.js";

/** The worker's flags: run's options it shares, and its own. */
export type WorkerFlags = RunOptionValues & { once: boolean };

/** `metasync worker`: checks the flags, then works until stopped (or, with --once, its run is done). */
export function workerCommand(flags: WorkerFlags, io: CliIo): Promise<number> {
  return withSending(io, async () => {
    const coordinator = coordinatorOf(flags, io.env);
    if (coordinator === undefined) {
      throw new UsageError("metasync worker needs --coordinator redis://… (or METASYNC_COORDINATOR)");
    }
    const concurrency = flags.concurrency ?? DEFAULTS.concurrency;
    if (!(concurrency > 0 && concurrency <= LIMITS.concurrency)) {
      throw new UsageError(`--concurrency must be from 1 to ${LIMITS.concurrency}, got ${concurrency}`);
    }
    const keysFile = flags.keys === undefined ? undefined : resolve(io.cwd, flags.keys);
    const settings = {
      coordinator,
      concurrency,
      keysFile,
      keySpecs: keysFile === undefined ? undefined : loadKeyFile(keysFile, io.env),
      baseUrl: flags.baseUrl,
      runId: flags.run,
      once: flags.once,
    };
    return {
      display: { mode: flags.progress, resultsToTerminal: false, keyboard: false },
      observe: { command: "worker" },
      send: ({ signal, emit, owner }) =>
        executeWorker(settings, { env: io.env, clock: systemClock, emit, signal, who: owner }),
    };
  });
}
