import { isEngineEvent, type ReporterEvent } from "../core/events.js";
import { optimizeLine } from "./optimize-lines.js";
import { errorLine, noticeLine, progressLine, summaryLine } from "./progress-lines.js";
import { initialProgressState, reduceProgress } from "./progress-state.js";
import { type Every, everyInterval, type ProgressReporter, progressReporter } from "./reporter.js";

export interface TextReporterOptions {
  write: (text: string) => void;
  now?: () => number;
  /** How often a progress line is printed (plain) or emitted (json). */
  intervalMs?: number;
  every?: Every;
}

export const PLAIN_INTERVAL_MS = 5_000;

/**
 * `--progress plain`: what run this is, one progress line every few seconds (each stamped with an
 * ISO date-time, with the errors so far by type), a line when a key is disabled, when an error of a
 * new type happens, or when the run stops, and a summary at the end with the errors by type. No
 * escape codes: safe for logs and cron mail.
 */
export function createPlainReporter(options: TextReporterOptions): ProgressReporter {
  const { write } = options;
  const now = options.now ?? Date.now;
  const every = options.every ?? everyInterval;
  let state = initialProgressState;
  let stopTimer: (() => void) | undefined;

  const tick = () => {
    if (state.phase === "running" || state.phase === "stopping") write(progressLine(state, now()));
  };
  const sink = (event: ReporterEvent) => {
    const at = now();
    const before = state;
    state = reduceProgress(state, event, at);
    if (!isEngineEvent(event)) {
      const line = optimizeLine(event, at);
      if (line) write(line);
      return;
    }
    switch (event.type) {
      case "start":
        stopTimer ??= every(options.intervalMs ?? PLAIN_INTERVAL_MS, tick);
        return;
      case "end":
        stopTimer?.();
        write(summaryLine(state, at));
        return;
      default: {
        const line = noticeLine(event, at) ?? errorLine(before, event, at);
        if (line) write(line);
      }
    }
  };
  return progressReporter(sink, {
    notice: write,
    close: async () => {
      stopTimer?.();
    },
  });
}
