import { resolve } from "node:path";
import { systemClock } from "../core/clock.js";
import { ExitCode } from "../core/errors.js";
import type { ReporterEvent } from "../core/events.js";
import type { Observer } from "../observe/observer.js";
import { openObservers } from "../observe/open-observers.js";
import type { RunOwner } from "../store/state-store.js";
import { createProgressReporter } from "../ui/progress-reporter.js";
import type { ProgressReporter } from "../ui/reporter.js";
import type { CliIo, StopSignal } from "./io.js";
import { thisProcess } from "./state-path.js";
import { metasyncVersion } from "./version.js";

/** What a sending command (run, eval) gets from the terminal: a stop signal, a reporter, its owner. */
export interface SendingContext {
  signal: AbortSignal;
  emit: (event: ReporterEvent) => void;
  /** This process, to claim the run so that two processes never send it at once. */
  owner: RunOwner;
}

/** How a sending command is shown, and the work itself. */
export interface SendingWork {
  display: { mode: string | undefined; resultsToTerminal: boolean; keyboard: boolean };
  send: (context: SendingContext) => Promise<number>;
  /**
   * Who else is told of the run's events: `--metrics-file` (a path relative to the working directory),
   * and OpenTelemetry when an OTLP endpoint is set.
   */
  observe?: { command: string; metricsFile?: string | undefined };
}

/**
 * Runs a command that sends: Ctrl-C (or SIGTERM) stops it gracefully from the start, a second
 * quits at once; `prepare` reads the command's settings and returns its work (or an exit code when
 * nothing is to be sent, as a dry run); a progress reporter of the chosen mode shows the work; a
 * reader of stdout that goes away (`| head`) stops it like Ctrl-C. The reporter is closed (the
 * terminal restored) before anything else is printed.
 */
export async function withSending(io: CliIo, prepare: () => Promise<SendingWork | number>): Promise<number> {
  const stop = new AbortController();
  let reporter: ProgressReporter | undefined;
  const onSignal = (signal?: StopSignal) => {
    if (stop.signal.aborted) io.exit(ExitCode.interrupted);
    const notice = stoppingNotice(signal);
    if (reporter) reporter.notice(notice);
    else io.stderr.write(notice);
    stop.abort();
  };
  const stopListening = io.onStopSignal(onSignal);
  // Left attached after the command: a write that fails once it has returned is no bug, and must not crash.
  io.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") stop.abort();
  });
  try {
    const prepared = await prepare();
    if (typeof prepared === "number") return prepared;
    const { display, send } = prepared;
    reporter = await createProgressReporter({
      mode: display.mode,
      stream: io.stderr,
      isTTY: io.stderr.isTTY === true,
      resultsToTerminal: display.resultsToTerminal,
      env: io.env,
      stdin: io.stdin,
      keyboard: display.keyboard,
      requestStop: () => stop.abort(),
      forceExit: () => io.exit(ExitCode.interrupted),
    });
    let observer: Observer | undefined;
    try {
      observer = await openObservers({
        command: prepared.observe?.command ?? "run",
        metricsFile:
          prepared.observe?.metricsFile === undefined
            ? undefined
            : resolve(io.cwd, prepared.observe.metricsFile),
        env: io.env,
        clock: systemClock,
        version: metasyncVersion(),
      });
      return await send({
        signal: stop.signal,
        emit: observer ? fanOut(reporter, observer) : reporter,
        owner: thisProcess(),
      });
    } finally {
      await reporter.close();
      for (const warning of (await observer?.close()) ?? [])
        io.stderr.write(`metasync: warning: ${warning}\n`);
    }
  } finally {
    stopListening();
  }
}

/** Each event to the reporter, then to the observer. */
function fanOut(reporter: ProgressReporter, observer: Observer): (event: ReporterEvent) => void {
  return (event) => {
    reporter(event);
    observer.sink(event);
  };
}

/**
 * What the user is told when a stop signal arrives: Ctrl-C is named only when it was Ctrl-C (a
 * SIGTERM comes from `kill`, a service manager or a CI runner's timeout, not from a keyboard).
 */
export function stoppingNotice(signal: StopSignal | undefined): string {
  const again = signal === "SIGTERM" ? "a second SIGTERM quits now" : "Ctrl-C again to quit now";
  const on = signal === "SIGTERM" ? " on SIGTERM" : "";
  return `\nmetasync: stopping${on} — waiting for requests in flight (${again})\n`;
}
