import { ExitCode } from "../core/errors.js";
import { loadRecipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { executeRun } from "../run/execute-run.js";
import { resolveRunSettings } from "../run/run-settings.js";
import { type CliIo, userPath } from "./io.js";
import { withSending } from "./sending-command.js";

/** `run`'s flags: the options given on the command line (flags win over the recipe), and the recipe. */
export interface RunFlags {
  options: RunOptionValues;
  /** `-r, --recipe`: a YAML file of options. */
  recipe?: string | undefined;
}

/**
 * `metasync run <input>`: wires stop signals, the streams and a progress reporter to the library,
 * and returns the run's exit code. Errors are thrown to the CLI's one catch.
 */
export function runCommand(input: string, flags: RunFlags, io: CliIo): Promise<number> {
  return withSending(io, async () => {
    const recipe = flags.recipe === undefined ? undefined : loadRecipe(userPath(io, flags.recipe));
    const settings = resolveRunSettings(input, flags.options, recipe, io.cwd, io.env);
    if (settings.dryRun) {
      const { estimateRun } = await import("../run/dry-run.js");
      const estimate = await estimateRun(settings, io.env, io.stdin);
      (settings.json ? io.stdout : io.stderr).write(estimate);
      return ExitCode.ok;
    }
    return {
      display: {
        mode: flags.options.progress ?? recipe?.values.progress,
        resultsToTerminal: settings.out === undefined && io.stdout.isTTY === true,
        keyboard: io.stdin.isTTY === true && input !== "-",
      },
      observe: { command: "run", metricsFile: flags.options.metricsFile ?? recipe?.values.metricsFile },
      send: async ({ signal, emit, owner }) => {
        const outcome = await executeRun({
          settings,
          env: io.env,
          cwd: io.cwd,
          stdin: io.stdin,
          stdout: io.stdout,
          signal,
          emit,
          owner,
        });
        return outcome.exitCode;
      },
    };
  });
}
