import { describe, expect, it } from "vitest";
import { otelSettings } from "../../src/observe/otel-settings.js";

describe("OpenTelemetry settings from the environment", () => {
  it("are off without an OTLP endpoint, or with OTEL_SDK_DISABLED=true", () => {
    expect(otelSettings({}, "1.0.0")).toBeUndefined();
    expect(
      otelSettings(
        { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" },
        "1.0.0",
      ),
    ).toBeUndefined();
  });

  it("send each signal to the shared endpoint's path, or to the signal's own endpoint as given", () => {
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, "1.0.0")).toMatchObject({
      tracesUrl: "http://collector:4318/v1/traces",
      metricsUrl: "http://collector:4318/v1/metrics",
    });
    expect(
      otelSettings(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/ingest",
        },
        "1.0.0",
      ),
    ).toMatchObject({
      tracesUrl: "https://traces.example.com/ingest",
      metricsUrl: "http://collector:4318/v1/metrics",
    });
    expect(
      otelSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://m:4318/v1/metrics" }, "1.0.0"),
    ).toMatchObject({
      tracesUrl: undefined,
      metricsUrl: "http://m:4318/v1/metrics",
    });
  });

  it("turn a signal off with OTEL_TRACES_EXPORTER=none or OTEL_METRICS_EXPORTER=none", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    expect(otelSettings({ ...env, OTEL_TRACES_EXPORTER: "none" }, "1.0.0")?.tracesUrl).toBeUndefined();
    expect(otelSettings({ ...env, OTEL_METRICS_EXPORTER: "none" }, "1.0.0")?.metricsUrl).toBeUndefined();
    expect(
      otelSettings({ ...env, OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" }, "1.0.0"),
    ).toBeUndefined();
  });

  it("name the service metasync unless OTEL_SERVICE_NAME says otherwise, with OTEL_RESOURCE_ATTRIBUTES", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
    expect(otelSettings(env, "1.2.3")?.resource).toEqual({
      "service.name": "metasync",
      "service.version": "1.2.3",
    });
    expect(
      otelSettings(
        {
          ...env,
          OTEL_SERVICE_NAME: "nightly-labels",
          OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,team=data%20eng,broken",
        },
        "1.2.3",
      )?.resource,
    ).toEqual({
      "service.name": "nightly-labels",
      "service.version": "1.2.3",
      "deployment.environment": "prod",
      team: "data eng",
    });
  });

  it("take the metric interval, the export timeout and the span queue, and warn of gRPC, which is not sent", () => {
    const settings = otelSettings(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317",
        OTEL_METRIC_EXPORT_INTERVAL: "1000",
        OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      },
      "1.0.0",
    );
    expect(settings).toMatchObject({ metricIntervalMs: 1000, exportTimeoutMs: 2500 });
    expect(settings?.warnings).toEqual([
      expect.stringMatching(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/),
    ]);
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, "1.0.0")).toMatchObject({
      metricIntervalMs: 60_000,
      exportTimeoutMs: 5_000,
      spanQueueSize: 32_768,
      spanBatchSize: 1_024,
      warnings: [],
    });
    expect(
      otelSettings(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
          OTEL_BSP_MAX_QUEUE_SIZE: "100000",
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "x",
        },
        "1.0.0",
      ),
    ).toMatchObject({ spanQueueSize: 100_000, spanBatchSize: 1_024 });
  });
});
