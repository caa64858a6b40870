import type { EvalFlags } from "../eval/eval-settings.js";
import { executeEval } from "../eval/execute-eval.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { type CliIo, userPath } from "./io.js";
import { withSending } from "./sending-command.js";

/**
 * `metasync eval [config]`: wires stop signals and a progress reporter to the library; prints the
 * summary table and the verdict on stderr and returns the eval's exit code.
 */
export async function evalCommand(
  config: string | undefined,
  given: { sending: RunOptionValues; flags: Record<string, unknown> },
  io: CliIo,
): Promise<number> {
  const flags = given.flags as EvalFlags;
  const common = {
    ...(config !== undefined ? { config: userPath(io, config) } : {}),
    sending: given.sending,
    flags,
    env: io.env,
    cwd: io.cwd,
  };
  // Printed once the progress display is gone.
  let text = "";
  const exitCode = await withSending(io, async () => {
    if (given.sending.dryRun) {
      const outcome = await executeEval(common);
      io.stderr.write(outcome.text);
      return outcome.exitCode;
    }
    return {
      display: { mode: given.sending.progress, resultsToTerminal: false, keyboard: io.stdin.isTTY === true },
      observe: { command: "eval", metricsFile: given.sending.metricsFile },
      send: async ({ signal, emit, owner }) => {
        const outcome = await executeEval({ ...common, signal, emit, owner });
        text = outcome.text;
        return outcome.exitCode;
      },
    };
  });
  io.stderr.write(text);
  return exitCode;
}
