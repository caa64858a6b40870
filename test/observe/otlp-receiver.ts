import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as a collector receives it, its attributes decoded from OTLP/JSON. */
export interface ReceivedSpan {
  name: string;
  /** OTLP's SpanKind: 1 internal, 3 client. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  startMs: number;
  endMs: number;
  resource: Record<string, unknown>;
}

/** One data point of a metric, with its attributes decoded. */
export interface ReceivedPoint {
  attributes: Record<string, unknown>;
  /** A histogram's count and sum, or a sum's value. */
  count?: number;
  sum?: number;
  value?: number;
  bounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  kind: "histogram" | "sum" | "gauge" | "other";
  points: ReceivedPoint[];
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to. */
  url: string;
  /** Every request received: its path and content type. */
  requests: { path: string; contentType: string }[];
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver on 127.0.0.1 (a free port): it
 * accepts POST /v1/traces and /v1/metrics in OTLP/JSON and keeps what they carried, decoded.
 */
export function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: Omit<OtlpReceiver, "url" | "close"> = { requests: [], spans: [], metrics: [] };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      const contentType = request.headers["content-type"] ?? "";
      receiver.requests.push({ path, contentType });
      if (request.method !== "POST" || !contentType.startsWith("application/json")) {
        response.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      if (path === "/v1/traces") receiver.spans.push(...decodeSpans(body));
      else if (path === "/v1/metrics") receiver.metrics.push(...decodeMetrics(body));
      else {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  // As a collector may, idle connections are kept open a long time: the CLI exits all the same.
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(
        Object.assign(receiver, {
          url: `http://127.0.0.1:${port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        }),
      );
    });
  });
}

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

interface JsonSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

function decodeSpans(body: Record<string, unknown>): ReceivedSpan[] {
  const resourceSpans = (body.resourceSpans ?? []) as {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: JsonSpan[] }[];
  }[];
  return resourceSpans.flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        name: span.name,
        kind: span.kind,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        attributes: attributes(span.attributes),
        status: {
          code: span.status?.code ?? 0,
          ...(span.status?.message ? { message: span.status.message } : {}),
        },
        startMs: Number(BigInt(span.startTimeUnixNano) / 1_000_000n),
        endMs: Number(BigInt(span.endTimeUnixNano) / 1_000_000n),
        resource: attributes(rs.resource?.attributes),
      })),
    ),
  );
}

interface JsonPoint {
  attributes?: KeyValue[];
  count?: number | string;
  sum?: number;
  asInt?: number | string;
  asDouble?: number;
  explicitBounds?: number[];
}

function decodeMetrics(body: Record<string, unknown>): ReceivedMetric[] {
  const resourceMetrics = (body.resourceMetrics ?? []) as {
    scopeMetrics?: {
      metrics?: {
        name: string;
        unit?: string;
        histogram?: { dataPoints?: JsonPoint[] };
        sum?: { dataPoints?: JsonPoint[] };
        gauge?: { dataPoints?: JsonPoint[] };
      }[];
    }[];
  }[];
  return resourceMetrics.flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? []).map((metric) => {
        const kind = metric.histogram ? "histogram" : metric.sum ? "sum" : metric.gauge ? "gauge" : "other";
        const points = (metric.histogram ?? metric.sum ?? metric.gauge)?.dataPoints ?? [];
        return {
          name: metric.name,
          unit: metric.unit ?? "",
          kind,
          points: points.map((point) => ({
            attributes: attributes(point.attributes),
            ...(point.count !== undefined ? { count: Number(point.count) } : {}),
            ...(point.sum !== undefined ? { sum: point.sum } : {}),
            ...(point.asInt !== undefined ? { value: Number(point.asInt) } : {}),
            ...(point.asDouble !== undefined ? { value: point.asDouble } : {}),
            ...(point.explicitBounds ? { bounds: point.explicitBounds } : {}),
          })),
        } satisfies ReceivedMetric;
      }),
    ),
  );
}
