import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Clock } from "../core/clock.js";
import { isEngineEvent, type ReporterEvent } from "../core/events.js";
import { type Attempt, AttemptTracker } from "./attempts.js";
import { DURATION_BUCKETS_S, TOKEN_BUCKETS } from "./buckets.js";
import type { Observer } from "./observer.js";
import type { OtelSettings } from "./otel-settings.js";

export interface OtelObserverOptions {
  /** The command that runs (`run`, `eval`): the run span is `metasync <command>`. */
  command: string;
  clock: Clock;
  version: string;
}

/** `ExportResultCode.SUCCESS` of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

/**
 * Reports a run to an OpenTelemetry collector over OTLP/HTTP (JSON), following the GenAI semantic
 * conventions: a span `metasync run` for the run and, under it, a span `chat {model}` for each
 * request sent (`gen_ai.*` attributes, `error.type` when it failed), and the histograms
 * `gen_ai.client.operation.duration` and `gen_ai.client.token.usage`, with the counters
 * `metasync.items` and `metasync.cost`. Loaded only when an OTLP endpoint is set.
 */
export function startOtel(settings: OtelSettings, options: OtelObserverOptions): Observer {
  const { clock, command } = options;
  const failures = new Map<string, string>();
  let spansMade = 0;
  let spansSent = 0;
  const resource = defaultResource().merge(resourceFromAttributes(settings.resource));
  const timeoutMillis = settings.exportTimeoutMs;

  const tracerProvider =
    settings.tracesUrl === undefined
      ? undefined
      : new TracerProvider({
          resource,
          spanProcessors: [
            new BatchSpanProcessor({
              exporter: watched(
                new OTLPTraceExporter({ url: settings.tracesUrl, timeoutMillis }),
                (why) => failures.set("traces", `cannot send traces to ${settings.tracesUrl}: ${why}`),
                (count) => {
                  spansSent += count;
                },
              ),
              maxQueueSize: settings.spanQueueSize,
              maxExportBatchSize: Math.min(settings.spanBatchSize, settings.spanQueueSize),
            }),
          ],
        });
  const meterProvider =
    settings.metricsUrl === undefined
      ? undefined
      : new MeterProvider({
          resource,
          readers: [
            new PeriodicExportingMetricReader({
              exporter: watched(new OTLPMetricExporter({ url: settings.metricsUrl, timeoutMillis }), (why) =>
                failures.set("metrics", `cannot send metrics to ${settings.metricsUrl}: ${why}`),
              ),
              exportIntervalMillis: settings.metricIntervalMs,
              exportTimeoutMillis: Math.min(timeoutMillis, settings.metricIntervalMs),
            }),
          ],
        });

  const tracer = tracerProvider?.getTracer("metasync", options.version);
  const meter = meterProvider?.getMeter("metasync", options.version);
  const duration = meter?.createHistogram("gen_ai.client.operation.duration", {
    description: "GenAI operation duration.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
  });
  const tokenUsage = meter?.createHistogram("gen_ai.client.token.usage", {
    description: "Number of input and output tokens used.",
    unit: "{token}",
    advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
  });
  const items = meter?.createCounter("metasync.items", {
    description: "Items finished, by model, status and error type.",
    unit: "{item}",
  });
  const cost = meter?.createCounter("metasync.cost", {
    description: "What the answers cost, in US dollars (priced models only).",
    unit: "{USD}",
  });

  const runSpan: Span | undefined = tracer?.startSpan(`metasync ${command}`, {
    kind: SpanKind.INTERNAL,
    startTime: clock.now(),
    attributes: { "metasync.command": command },
  });
  const parent = runSpan ? trace.setSpan(context.active(), runSpan) : undefined;
  let runEnded = false;
  let stopMessage: string | undefined;
  const attempts = new AttemptTracker();

  const reportAttempt = (attempt: Attempt) => {
    const { provider, model } = splitModel(attempt.model);
    const common: Attributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": provider,
      // The name before semantic conventions 1.37; many back ends still read it.
      "gen_ai.system": provider,
      "gen_ai.request.model": model,
      ...(attempt.error ? { "error.type": attempt.error.type } : {}),
    };
    const result = attempt.result;
    const usage = attempt.error ? undefined : (result?.usage ?? undefined);
    if (tracer && parent) {
      const span = tracer.startSpan(
        `chat ${model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: attempt.startedAt,
          attributes: {
            ...common,
            "metasync.item.id": attempt.id,
            "metasync.attempt": attempt.attempt,
            ...(result?.key ? { "metasync.key": result.key } : {}),
            ...(usage
              ? {
                  "gen_ai.usage.input_tokens": usage.input_tokens,
                  "gen_ai.usage.output_tokens": usage.output_tokens,
                }
              : {}),
            ...(result?.finish_reason ? { "gen_ai.response.finish_reasons": [result.finish_reason] } : {}),
            ...(result && !attempt.error && result.cost_usd !== null
              ? { "metasync.cost_usd": result.cost_usd }
              : {}),
          },
        },
        parent,
      );
      if (attempt.error) span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.error.message });
      span.end(attempt.endedAt);
      spansMade++;
    }
    // An attempt whose end the engine did not report has no duration worth recording.
    if (attempt.error?.type !== "_OTHER") {
      duration?.record(Math.max(0, attempt.endedAt - attempt.startedAt) / 1000, common);
    }
    if (usage) {
      tokenUsage?.record(usage.input_tokens, { ...common, "gen_ai.token.type": "input" });
      tokenUsage?.record(usage.output_tokens, { ...common, "gen_ai.token.type": "output" });
    }
  };

  const endRun = (now: number) => {
    if (runEnded || !runSpan) return;
    runEnded = true;
    if (stopMessage !== undefined) runSpan.setStatus({ code: SpanStatusCode.ERROR, message: stopMessage });
    runSpan.end(now);
    spansMade++;
  };

  return {
    sink: (event: ReporterEvent) => {
      const now = clock.now();
      for (const attempt of attempts.observe(event, now)) reportAttempt(attempt);
      if (!isEngineEvent(event)) return;
      switch (event.type) {
        case "run":
          runSpan?.setAttributes({ "metasync.run.id": event.runId, "metasync.run.state": event.state });
          return;
        case "start":
          runSpan?.setAttributes({
            "metasync.items.total": event.total,
            "metasync.items.pending": event.pending,
          });
          return;
        case "item_done": {
          const { result } = event;
          const { provider, model } = splitModel(result.model);
          const attributes: Attributes = {
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "metasync.status": result.status,
            ...(result.error ? { "error.type": result.error.type } : {}),
          };
          items?.add(1, attributes);
          if (result.cost_usd !== null && result.cached !== true) cost?.add(result.cost_usd, attributes);
          return;
        }
        case "stopping":
          if (event.reason === "stopped") stopMessage = event.message;
          return;
        case "end":
          runSpan?.setAttributes({
            "metasync.run.end_reason": event.reason,
            "metasync.items.ok": event.counts.ok,
            "metasync.items.failed": event.counts.failed,
          });
          endRun(now);
          return;
        default:
          return;
      }
    },
    close: async () => {
      const now = clock.now();
      for (const attempt of attempts.finishAll(now)) reportAttempt(attempt);
      endRun(now);
      const [traces, metrics] = await Promise.allSettled([
        tracerProvider?.shutdown(),
        meterProvider?.shutdown(),
      ]);
      // A failed export may also reject the shutdown that flushed it: said once, by the exporter's watch.
      if (traces?.status === "rejected" && !failures.has("traces")) {
        failures.set("traces", `cannot send traces to ${settings.tracesUrl}: ${reason(traces.reason)}`);
      }
      if (metrics?.status === "rejected" && !failures.has("metrics")) {
        failures.set("metrics", `cannot send metrics to ${settings.metricsUrl}: ${reason(metrics.reason)}`);
      }
      const dropped = spansMade - spansSent;
      if (tracerProvider && dropped > 0 && !failures.has("traces")) {
        failures.set(
          "traces",
          `${dropped} of ${spansMade} spans were dropped: more ended than could be sent (OTEL_BSP_MAX_QUEUE_SIZE, now ${settings.spanQueueSize}, holds more)`,
        );
      }
      return [...settings.warnings, ...failures.values()].map((text) => `OpenTelemetry: ${text}`);
    },
  };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `openai:gpt-4o-mini` → the provider and the model's own name. */
function splitModel(ref: string): { provider: string; model: string } {
  const at = ref.indexOf(":");
  return at < 0 ? { provider: "", model: ref } : { provider: ref.slice(0, at), model: ref.slice(at + 1) };
}

interface Exporter<T> {
  export(items: T, done: (result: { code: number; error?: Error }) => void): void;
}

/**
 * The exporter, telling `onFailure` why an export failed (the SDK itself only logs to its diag),
 * and `onSent` how many items of an array went out.
 */
function watched<T, E extends Exporter<T>>(
  exporter: E,
  onFailure: (why: string) => void,
  onSent?: (count: number) => void,
): E {
  const send = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    send(items, (result) => {
      if (result.code !== EXPORT_SUCCESS) onFailure(result.error ? reason(result.error) : "export failed");
      else if (Array.isArray(items)) onSent?.(items.length);
      done(result);
    });
  return exporter;
}
