import type { EngineEvent } from "../engine/events.js";
import { newsFilter, noticeLine, progressLine, runInfoLine, summaryLine } from "./progress-lines.js";
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
 * `--progress plain`: what run this is, one progress line every few seconds, a line when a key is
 * disabled or the run stops, and a summary at the end. No escape codes: safe for logs and cron mail.
 */
export function createPlainReporter(options: TextReporterOptions): ProgressReporter {
  const { write } = options;
  const now = options.now ?? Date.now;
  const every = options.every ?? everyInterval;
  let state = initialProgressState;
  let stopTimer: (() => void) | undefined;
  const isNews = newsFilter();

  const tick = () => {
    if (state.phase === "running" || state.phase === "stopping") write(progressLine(state, now()));
  };
  const sink = (event: EngineEvent) => {
    const at = now();
    state = reduceProgress(state, event, at);
    if (!isNews(event)) return;
    switch (event.type) {
      case "run":
        write(runInfoLine(event));
        return;
      case "start":
        stopTimer ??= every(options.intervalMs ?? PLAIN_INTERVAL_MS, tick);
        return;
      case "stopping":
        // An interrupt is announced by the CLI, with what a second Ctrl-C does.
        if (event.reason !== "interrupted") write(noticeLine(event, at) ?? "");
        return;
      case "end":
        stopTimer?.();
        write(summaryLine(state, at));
        return;
      default: {
        const line = noticeLine(event, at);
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
