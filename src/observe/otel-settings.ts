/**
 * Where OpenTelemetry data goes, from the standard environment variables. Read without loading any
 * OpenTelemetry package: a run without `OTEL_EXPORTER_OTLP_ENDPOINT` loads none of them.
 */
export interface OtelSettings {
  /** OTLP/HTTP endpoints of each signal; absent when that signal is off. */
  tracesUrl: string | undefined;
  metricsUrl: string | undefined;
  /** `service.name` and the other resource attributes (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`). */
  resource: Record<string, string>;
  /** `OTEL_METRIC_EXPORT_INTERVAL`: how often metrics are sent during a run (they are sent at its end too). */
  metricIntervalMs: number;
  /** `OTEL_EXPORTER_OTLP_TIMEOUT`: how long one export may take, retries included (default 5 s). */
  exportTimeoutMs: number;
  /**
   * `OTEL_BSP_MAX_QUEUE_SIZE` / `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: spans waiting to be sent (more are
   * dropped) and spans per request. Larger than the SDK's 2048 / 512: a fast run ends thousands of
   * requests a second.
   */
  spanQueueSize: number;
  spanBatchSize: number;
  /** What the user set that metasync does not do (a protocol other than OTLP/HTTP). */
  warnings: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The settings when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, or a signal's own
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`), unless `OTEL_SDK_DISABLED=true`;
 * `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none` turn one signal off.
 */
export function otelSettings(env: Env, version: string): OtelSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const tracesUrl = exporterOn(env.OTEL_TRACES_EXPORTER) ? signalUrl(env, "TRACES", "v1/traces") : undefined;
  const metricsUrl = exporterOn(env.OTEL_METRICS_EXPORTER)
    ? signalUrl(env, "METRICS", "v1/metrics")
    : undefined;
  if (tracesUrl === undefined && metricsUrl === undefined) return undefined;
  const warnings: string[] = [];
  for (const name of [
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
  ]) {
    const protocol = env[name]?.trim();
    if (protocol === "grpc") {
      warnings.push(
        `${name}=grpc is not supported: metasync sends OTLP over HTTP (JSON); point it at the collector's HTTP port (4318)`,
      );
    }
  }
  return {
    tracesUrl,
    metricsUrl,
    resource: {
      ...resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
      "service.name": env.OTEL_SERVICE_NAME?.trim() || "metasync",
      "service.version": version,
    },
    metricIntervalMs: positive(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000,
    // Shorter than the SDK's 10 s: a collector that is down delays the end of a run by at most this.
    exportTimeoutMs: positive(env.OTEL_EXPORTER_OTLP_TIMEOUT) ?? 5_000,
    spanQueueSize: positive(env.OTEL_BSP_MAX_QUEUE_SIZE) ?? 32_768,
    spanBatchSize: positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? 1_024,
    warnings,
  };
}

function positive(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function exporterOn(value: string | undefined): boolean {
  return (
    value === undefined || value.trim() === "" || value.split(",").some((name) => name.trim() === "otlp")
  );
}

/** A signal's own endpoint as given, else the shared one with the signal's path appended. */
function signalUrl(env: Env, signal: "TRACES" | "METRICS", path: string): string | undefined {
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  if (own) return own;
  const shared = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!shared) return undefined;
  return `${shared.replace(/\/+$/, "")}/${path}`;
}

/** `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs separated by commas, values percent-encoded. */
function resourceAttributes(text: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    if (key !== "") attributes[key] = value;
  }
  return attributes;
}
