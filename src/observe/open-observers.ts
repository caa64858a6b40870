import type { Clock } from "../core/clock.js";
import { type Observer, observeAll } from "./observer.js";
import { otelSettings } from "./otel-settings.js";

export interface ObserveRequest {
  /** The command that sends (`run`, `eval`). */
  command: string;
  /** `--metrics-file`: where the Prometheus text file goes, if anywhere. */
  metricsFile?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  /** metasync's version, for OpenTelemetry's `service.version` and its instrumentation scope. */
  version: string;
}

/**
 * The observers a run asked for: a metrics file (`--metrics-file`) and OpenTelemetry (when an
 * OTLP endpoint is set); none when neither is. Each is imported only when asked for, so a run
 * without them loads nothing of either. An unwritable metrics file is a usage error, thrown here.
 */
export async function openObservers(request: ObserveRequest): Promise<Observer | undefined> {
  const observers: Observer[] = [];
  const otel = otelSettings(request.env, request.version);
  // Loaded while the metrics file is first written: OpenTelemetry takes a while to import.
  const loadingOtel = otel ? import("./otel-observer.js") : undefined;
  loadingOtel?.catch(() => {}); // awaited below, unless the metrics file fails first
  if (request.metricsFile !== undefined) {
    const { openMetricsFile } = await import("./metrics-file.js");
    observers.push(await openMetricsFile(request.metricsFile, request));
  }
  if (otel && loadingOtel) {
    const { startOtel } = await loadingOtel;
    observers.push(startOtel(otel, request));
  }
  return observers.length === 0 ? undefined : observeAll(observers);
}
