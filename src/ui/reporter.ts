import { isEngineEvent, type ReporterEvent, type ReporterSink } from "../core/events.js";

/**
 * An event sink that shows a run's progress somewhere (stderr, always). It takes the engine's events
 * and a command's own (`CommandEvent`), which it ignores unless it knows them (`--progress json`
 * prints every event). `close` stops its timers, restores the terminal and waits until everything
 * is written; it is safe to call more than once.
 */
export interface ProgressReporter extends ReporterSink {
  /** A message from outside the engine (e.g. "stopping, Ctrl-C again to quit"), shown in place. */
  notice(text: string): void;
  close(): Promise<void>;
}

/**
 * Makes a reporter of a sink. A key is announced disabled once: the pool says so once per key, and
 * this holds for every reporter even if a request in flight on the key reports it again.
 */
export function progressReporter(
  sink: ReporterSink,
  parts: { notice(text: string): void; close(): Promise<void> },
): ProgressReporter {
  const disabled = new Set<string>();
  const reporter = (event: ReporterEvent) => {
    if (isEngineEvent(event) && event.type === "key_disabled") {
      if (disabled.has(event.key)) return;
      disabled.add(event.key);
    }
    sink(event);
  };
  return Object.assign(reporter, { notice: parts.notice, close: parts.close });
}

/** Calls `tick` every `ms` until the returned function is called. */
export type Every = (ms: number, tick: () => void) => () => void;

/** Real intervals that never keep the process alive by themselves. */
export const everyInterval: Every = (ms, tick) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** The reporter of `--progress none`: nothing from events (errors are printed by the CLI). */
export function createSilentReporter(write: (text: string) => void): ProgressReporter {
  const sink = (event: ReporterEvent) => {
    if (isEngineEvent(event) && event.type === "stopping" && event.reason === "stopped")
      write(`metasync: ${event.message}\n`);
  };
  return progressReporter(sink, { notice: () => {}, close: async () => {} });
}
