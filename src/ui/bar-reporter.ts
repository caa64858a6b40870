import cliProgress from "cli-progress";
import { isEngineEvent, type ReporterEvent } from "../core/events.js";
import { formatCompact, formatCount, formatPercent } from "../core/format/number.js";
import { textBar } from "../core/format/table.js";
import { formatDuration } from "../core/format/time.js";
import { costText, errorLine, noticeLine, summaryLine } from "./progress-lines.js";
import { progressMetrics } from "./progress-metrics.js";
import { initialProgressState, type ProgressState, reduceProgress } from "./progress-state.js";
import { type ProgressReporter, progressReporter } from "./reporter.js";

export interface BarReporterOptions {
  stream: NodeJS.WriteStream;
  now?: () => number;
}

/**
 * `--progress bar`: one cli-progress bar on stderr, redrawn at most 10 times a second, with the
 * run's line, the first error of each type as it happens and other notices above it, and the
 * summary (with the errors by type) below when it ends. No colours. Off a terminal, no bar.
 */
export function createBarReporter(options: BarReporterOptions): ProgressReporter {
  const { stream } = options;
  const now = options.now ?? Date.now;
  let state = initialProgressState;
  const bars = new cliProgress.MultiBar({
    stream,
    fps: 10,
    hideCursor: true,
    clearOnComplete: true,
    gracefulExit: false,
    format: () => barText(state, now(), stream.columns ?? 80),
  });
  let active = false;
  const start = () => {
    if (active || !stream.isTTY) return;
    active = true;
    bars.create(1, 0);
  };
  const stop = () => {
    if (!active) return;
    active = false;
    bars.stop();
  };
  const write = (text: string) => {
    if (active) bars.log(text);
    else stream.write(text);
  };

  const sink = (event: ReporterEvent) => {
    const at = now();
    const before = state;
    state = reduceProgress(state, event, at);
    if (!isEngineEvent(event)) return;
    switch (event.type) {
      case "start":
        if (event.pending > 0) start();
        return;
      case "end":
        stop();
        stream.write(summaryLine(state, at));
        return;
      default: {
        const line = noticeLine(event, at) ?? errorLine(before, event, at);
        if (line) write(line);
      }
    }
  };
  return progressReporter(sink, {
    notice: write,
    close: async () => stop(),
  });
}

/** `███░░░ 42% · 4,210/10,000 · 0 failed · 812 req/min · 410k tok/min · $1.92 · ETA 7m` */
export function barText(state: ProgressState, now: number, columns: number): string {
  const m = progressMetrics(state, now);
  const parts = [
    `${formatPercent(m.fraction)}`,
    `${formatCount(m.done)}/${formatCount(state.total)}`,
    `${formatCount(state.failed)} failed`,
    `${formatCompact(m.requestsPerMin)} req/min`,
    `${formatCompact(m.tokensPerMin)} tok/min`,
  ];
  const cost = costText(state, now);
  if (cost) parts.push(cost);
  if (state.phase === "stopping") parts.push("stopping");
  else if (m.etaMs !== null) parts.push(`ETA ${formatDuration(m.etaMs)}`);
  const text = parts.join(" · ");
  // A steady width, so the bar does not jump as the numbers change length.
  const width = Math.max(10, Math.min(30, columns - 90));
  return `${textBar(m.fraction, width)} ${text}`;
}
