import { hostname } from "node:os";
import { loadRecipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { executeRun } from "../run/execute-run.js";
import { resolveRunSettings } from "../run/run-settings.js";
import { createProgressReporter } from "../ui/progress-reporter.js";
import type { ProgressReporter } from "../ui/reporter.js";
import { reportError } from "./report-error.js";

/** Runs `metasync run` in this process: wires signals, stdin/stdout and a reporter to the library. */
export async function runFromCli(
  input: string,
  flags: RunOptionValues,
  recipePath: string | undefined,
): Promise<number> {
  const stop = new AbortController();
  let reporter: ProgressReporter | undefined;
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    const notice = "\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n";
    if (reporter) reporter.notice(notice);
    else process.stderr.write(notice);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") stop.abort();
  });
  try {
    const recipe = recipePath === undefined ? undefined : loadRecipe(recipePath);
    const settings = resolveRunSettings(input, flags, recipe, process.cwd(), process.env);
    if (settings.dryRun) {
      const { estimateRun } = await import("../run/dry-run.js");
      process.stderr.write(await estimateRun(settings, process.env, process.stdin));
      return 0;
    }
    reporter = await createProgressReporter({
      mode: flags.progress ?? recipe?.values.progress,
      stream: process.stderr,
      isTTY: process.stderr.isTTY === true,
      resultsToTerminal: settings.out === undefined && process.stdout.isTTY === true,
      env: process.env,
      stdin: process.stdin,
      keyboard: process.stdin.isTTY === true && input !== "-",
      requestStop: () => stop.abort(),
      forceExit: () => process.exit(130),
    });
    try {
      const outcome = await executeRun({
        settings,
        env: process.env,
        cwd: process.cwd(),
        stdin: process.stdin,
        stdout: process.stdout,
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
  } catch (error) {
    return reportError(error, (text) => process.stderr.write(text));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
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
