import type { ReporterEvent, ReporterSink } from "../core/events.js";

/**
 * A subscriber to a run's events that reports them outside the terminal (a metrics file, an
 * OpenTelemetry collector). `close` reports what is left and resolves with warnings to print: an
 * observer never fails the run it watches once sending has begun.
 */
export interface Observer {
  readonly sink: ReporterSink;
  close(): Promise<string[]>;
}

/** Several observers as one: each event goes to each, in order; closing closes them all. */
export function observeAll(observers: readonly Observer[]): Observer {
  return {
    sink: (event: ReporterEvent) => {
      for (const observer of observers) observer.sink(event);
    },
    close: async () => (await Promise.all(observers.map((observer) => observer.close()))).flat(),
  };
}
