import { type Clock, every } from "../core/clock.js";
import type { ReporterEvent } from "../core/events.js";
import { writeFileAtomically } from "../output/atomic-file.js";
import type { Observer } from "./observer.js";
import { renderPrometheus } from "./prometheus-text.js";
import { RunMetrics } from "./run-metrics.js";

export interface MetricsFileOptions {
  /** The command that runs (`run`, `eval`), a label of `metasync_run_info`. */
  command: string;
  clock: Clock;
  /** How often the file is rewritten while the run goes on, if anything changed (default 5 s). */
  intervalMs?: number;
}

const WHAT = "the metrics file";

/**
 * `--metrics-file out.prom`: the run's metrics in Prometheus's text format, for node_exporter's
 * textfile collector (or any scraper of files). The file is written at once (an unwritable path is a
 * usage error before anything is sent), then every few seconds while events come in, and once more
 * when the run ends; each write replaces the file atomically, so a scrape never reads half of it.
 * A write that fails once sending has begun is a warning, not the run's failure.
 */
export async function openMetricsFile(path: string, options: MetricsFileOptions): Promise<Observer> {
  const { clock } = options;
  const metrics = new RunMetrics(options.command);
  const write = () =>
    writeFileAtomically(path, (out) => out.write(renderPrometheus(metrics.families())), { what: WHAT });
  await write();

  let changed = false;
  let writing: Promise<void> = Promise.resolve();
  let failure: string | undefined;
  const flush = () => {
    changed = false;
    writing = writing.then(write).catch((error: unknown) => {
      failure ??= error instanceof Error ? error.message : String(error);
    });
    return writing;
  };
  const stop = every(clock, options.intervalMs ?? 5_000, () => {
    if (changed) void flush();
  });
  return {
    sink: (event: ReporterEvent) => {
      metrics.observe(event, clock.now());
      changed = true;
    },
    close: async () => {
      stop();
      await flush();
      return failure === undefined ? [] : [`${failure} (the metrics may be out of date)`];
    },
  };
}
