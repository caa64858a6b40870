import { UsageError } from "../core/errors.js";
import { createJsonReporter } from "./json-reporter.js";
import { createPlainReporter } from "./plain-reporter.js";
import { createSilentReporter, type ProgressReporter } from "./reporter.js";

export const PROGRESS_MODES = ["auto", "tui", "bar", "plain", "json", "none"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface ProgressReporterOptions {
  /** `--progress` as given (flag or recipe); default `auto`. */
  mode: string | undefined;
  /** stderr: every reporter writes there, never to stdout. */
  stream: NodeJS.WriteStream;
  isTTY: boolean;
  /** Results stream to the same terminal (stdout is a TTY, no results file): no dashboard for auto. */
  resultsToTerminal?: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdin: NodeJS.ReadStream;
  /** Whether the dashboard may read keys from stdin (a terminal that is not the run's input). */
  keyboard: boolean;
  /** Stop admitting new work; the run finishes what is in flight and can be resumed. */
  requestStop(): void;
  /** Quit at once (a second `q`/Ctrl-C in the dashboard). */
  forceExit(): void;
  now?: () => number;
}

/** Checks `--progress`; a bad value is a usage error naming the modes. */
export function parseProgressMode(text: string | undefined): ProgressMode {
  const mode = text ?? "auto";
  if ((PROGRESS_MODES as readonly string[]).includes(mode)) return mode as ProgressMode;
  throw new UsageError(`--progress must be one of ${PROGRESS_MODES.join(", ")}; got "${mode}"`);
}

/**
 * `auto`: the dashboard on an interactive terminal, plain lines anywhere else (pipes, CI, dumb
 * terminals), and when results stream to the terminal too (they would tear the dashboard apart).
 */
export function resolveProgressMode(
  mode: ProgressMode,
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
  resultsToTerminal = false,
): Exclude<ProgressMode, "auto"> {
  if (mode !== "auto") return mode;
  return isTTY && !resultsToTerminal && !isCi(env) && env.TERM !== "dumb" ? "tui" : "plain";
}

/** Whether this looks like a CI job (the same test as ink's is-in-ci). */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.CI === "0" || env.CI === "false") return false;
  return (
    "CI" in env || "CONTINUOUS_INTEGRATION" in env || Object.keys(env).some((key) => key.startsWith("CI_"))
  );
}

/**
 * The reporter for `--progress`. The dashboard (ink, React) and the bar (cli-progress) are imported
 * only when chosen, so nothing else pays for loading them.
 */
export async function createProgressReporter(options: ProgressReporterOptions): Promise<ProgressReporter> {
  const mode = resolveProgressMode(
    parseProgressMode(options.mode),
    options.isTTY,
    options.env,
    options.resultsToTerminal,
  );
  const write = (text: string) => {
    options.stream.write(text);
  };
  const now = options.now ?? Date.now;
  switch (mode) {
    case "none":
      return createSilentReporter(write);
    case "plain":
      return createPlainReporter({ write, now });
    case "json":
      return createJsonReporter({ write, now });
    case "bar": {
      const { createBarReporter } = await import("./bar-reporter.js");
      return createBarReporter({ stream: options.stream, now });
    }
    case "tui": {
      const { createDashboardReporter } = await import("./dashboard/dashboard-reporter.js");
      return createDashboardReporter({
        stream: options.stream,
        stdin: options.stdin,
        keyboard: options.keyboard,
        color: !options.env.NO_COLOR,
        requestStop: options.requestStop,
        forceExit: options.forceExit,
        now,
      });
    }
  }
}
