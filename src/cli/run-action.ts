import { loadRecipe } from "../recipe/load-recipe.js";
import { executeRun } from "../run/execute-run.js";
import type { RunOptionValues } from "../run/option-table.js";
import { resolveRunSettings } from "../run/run-settings.js";
import { createSummaryReporter } from "../ui/summary-reporter.js";
import { reportError } from "./report-error.js";

/** Runs `metasync run` in this process: wires signals, stdin/stdout and a reporter to the library. */
export async function runFromCli(
  input: string,
  flags: RunOptionValues,
  recipePath: string | undefined,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(
      "\nmetasync: stopping — waiting for requests in flight (Ctrl-C again to quit now)\n",
    );
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
    const outcome = await executeRun({
      settings,
      env: process.env,
      cwd: process.cwd(),
      stdin: process.stdin,
      stdout: process.stdout,
      signal: stop.signal,
      emit: createSummaryReporter((text) => process.stderr.write(text)),
    });
    return outcome.exitCode;
  } catch (error) {
    return reportError(error, (text) => process.stderr.write(text));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
