import { hostname } from "node:os";
import { ExitCode } from "../core/errors.js";
import { loadRecipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { executeRun } from "../run/execute-run.js";
import { resolveRunSettings } from "../run/run-settings.js";
import { createProgressReporter } from "../ui/progress-reporter.js";
import type { ProgressReporter } from "../ui/reporter.js";
import { type CliIo, userPath } from "./io.js";

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
export async function runCommand(input: string, flags: RunFlags, io: CliIo): Promise<number> {
  const stop = new AbortController();
  let reporter: ProgressReporter | undefined;
  const onSignal = () => {
    if (stop.signal.aborted) io.exit(ExitCode.interrupted);
    const notice = "\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n";
    if (reporter) reporter.notice(notice);
    else io.stderr.write(notice);
    stop.abort();
  };
  const stopListening = io.onStopSignal(onSignal);
  // A reader of the results that goes away (`| head`) stops the run like Ctrl-C does. Left attached
  // after the run: a write that fails once the run has returned is no bug, and must not crash.
  io.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") stop.abort();
  });
  try {
    const recipe = flags.recipe === undefined ? undefined : loadRecipe(userPath(io, flags.recipe));
    const settings = resolveRunSettings(input, flags.options, recipe, io.cwd, io.env);
    if (settings.dryRun) {
      const { estimateRun } = await import("../run/dry-run.js");
      io.stderr.write(await estimateRun(settings, io.env, io.stdin));
      return ExitCode.ok;
    }
    reporter = await createProgressReporter({
      mode: flags.options.progress ?? recipe?.values.progress,
      stream: io.stderr,
      isTTY: io.stderr.isTTY === true,
      resultsToTerminal: settings.out === undefined && io.stdout.isTTY === true,
      env: io.env,
      stdin: io.stdin,
      keyboard: io.stdin.isTTY === true && input !== "-",
      requestStop: () => stop.abort(),
      forceExit: () => io.exit(ExitCode.interrupted),
    });
    try {
      const outcome = await executeRun({
        settings,
        env: io.env,
        cwd: io.cwd,
        stdin: io.stdin,
        stdout: io.stdout,
        signal: stop.signal,
        emit: reporter,
        owner: {
          host: hostname(),
          pid: process.pid,
          isAlive: processAlive,
          now: Date.now,
        },
      });
      return outcome.exitCode;
    } finally {
      // Before any error is printed: the dashboard must be gone and the terminal restored.
      await reporter.close();
    }
  } finally {
    stopListening();
  }
}

/** Whether a process of this host is still running (signal 0 tests without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
