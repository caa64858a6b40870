import { executeOptimize } from "../optimize/execute-optimize.js";
import type { OptimizeFlags } from "../optimize/optimize-settings.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { type CliIo, userPath } from "./io.js";
import { withSending } from "./sending-command.js";

/**
 * `metasync optimize <data>`: wires stop signals and a progress reporter to the library and prints
 * the end report (or the dry run's figures) on stderr.
 */
export async function optimizeCommand(
  data: string,
  given: { recipe: string | undefined; sending: RunOptionValues; flags: Record<string, unknown> },
  io: CliIo,
): Promise<number> {
  const common = {
    input: userPath(io, data),
    recipe: given.recipe === undefined ? undefined : userPath(io, given.recipe),
    sending: given.sending,
    flags: given.flags as OptimizeFlags,
    env: io.env,
    cwd: io.cwd,
  };
  let text = "";
  const exitCode = await withSending(io, async () => {
    if (given.sending.dryRun) {
      const outcome = await executeOptimize(common);
      io.stderr.write(outcome.text);
      return outcome.exitCode;
    }
    return {
      display: { mode: given.sending.progress, resultsToTerminal: false, keyboard: io.stdin.isTTY === true },
      observe: { command: "optimize", metricsFile: given.sending.metricsFile },
      send: async ({ signal, emit }) => {
        const outcome = await executeOptimize({ ...common, signal, emit });
        text = outcome.text;
        return outcome.exitCode;
      },
    };
  });
  io.stderr.write(text);
  return exitCode;
}
