import type { IncomingMessage, ServerResponse } from "node:http";
import { anthropicDialect } from "./anthropic-dialect.js";
import { MockBatchRoutes } from "./batch-routes.js";
import {
  type Answer,
  type Dialect,
  echoAnswer,
  type FailureKind,
  failureForStatus,
  type ParsedRequest,
} from "./dialect.js";
import { AttemptCounter, type Fault, readDirectives } from "./directives.js";
import { embeddingsBody, isEmbeddingsPath, parseEmbeddingsRequest } from "./embeddings-route.js";
import { graderAnswer } from "./grader-answer.js";
import { readJson, sendJson, startEventStream, wait, writeFrame } from "./http-io.js";
import { modelInfo, modelList, modelsDialect } from "./models.js";
import { openaiDialect } from "./openai-dialect.js";
import type { ResolvedOptions } from "./options.js";
import { RateMeter } from "./rate-meter.js";
import { keyFingerprint, type Outcome, StatsRecorder } from "./stats.js";
import { structuredAnswer } from "./structured-answer.js";

export const STATS_PATH = "/_metasync/stats";

/** Which API a path belongs to: OpenAI under any `/chat/completions`, Anthropic under any `/messages`. */
function dialectFor(path: string): Dialect | undefined {
  if (path.endsWith("/chat/completions")) return openaiDialect;
  if (path.endsWith("/messages")) return anthropicDialect;
  return undefined;
}

/** What the request log says of a request besides its method, path and latency. */
export interface RequestTrace {
  /** The key's fingerprint, once the request's key is known. */
  fingerprint?: string;
  /** How the request ended, when it was recorded; otherwise the status sent, if any. */
  outcome?: Outcome;
}

/** One exchange being answered: where it goes, and what to record about it. */
interface Exchange {
  dialect: Dialect;
  response: ServerResponse;
  fingerprint: string;
  headers: Record<string, string>;
  model: string;
  trace: RequestTrace;
}

/** `GET …/models` or `GET …/models/{id}`, under any prefix, as the SDKs ask for them. */
const MODELS_PATH = /\/models(?:\/([^/]+))?$/;

/** The server's behaviour: meters, faults and answers, over state shared by every request. */
export class MockRequestHandler {
  readonly stats = new StatsRecorder();
  private readonly meters = new Map<string, RateMeter>();
  private readonly attempts = new AttemptCounter();
  readonly batches: MockBatchRoutes;

  constructor(private readonly options: ResolvedOptions) {
    this.batches = new MockBatchRoutes(options);
  }

  async handle(request: IncomingMessage, response: ServerResponse, trace: RequestTrace = {}): Promise<void> {
    const path = new URL(request.url ?? "/", "http://mock").pathname;
    if (request.method === "GET" && path === STATS_PATH) {
      sendJson(response, 200, {}, this.stats.snapshot());
      return;
    }
    if (this.batches.serves(path)) {
      if (await this.batches.handle(request, response, path, trace)) return;
      sendJson(response, 404, {}, { error: { message: `no route for ${request.method} ${path}` } });
      return;
    }
    const models = request.method === "GET" ? MODELS_PATH.exec(path) : null;
    if (models) {
      this.models(request, response, models[1], trace);
      return;
    }
    if (request.method === "POST" && isEmbeddingsPath(path)) {
      await this.embeddings(request, response, trace);
      return;
    }
    const dialect = request.method === "POST" ? dialectFor(path) : undefined;
    if (!dialect) {
      sendJson(response, 404, {}, { error: { message: `no route for ${request.method} ${path}` } });
      return;
    }
    const admitted = await this.admit(dialect, request, response, trace);
    if (!admitted) return;
    const { exchange, body } = admitted;
    const parsed = body instanceof Error ? body.message : dialect.parse(body);
    if (typeof parsed === "string") {
      this.fail(exchange, "bad_request", { message: parsed });
      return;
    }
    exchange.model = parsed.model;
    await this.answer(exchange, parsed);
  }

  /**
   * A request's exchange and body, or undefined once a refused key (missing, invalid, out of quota)
   * has been answered with its error.
   */
  private async admit(
    dialect: Dialect,
    request: IncomingMessage,
    response: ServerResponse,
    trace: RequestTrace,
  ): Promise<{ exchange: Exchange; body: Awaited<ReturnType<typeof readJson>> } | undefined> {
    const key = dialect.keyOf(request.headers);
    const exchange = this.exchange(dialect, key, response, trace);
    const body = await readJson(request);
    if (key === undefined || this.options.invalidKeys.has(key)) {
      this.fail(exchange, "invalid_key");
      return undefined;
    }
    if (this.options.quotaKeys.has(key)) {
      this.fail(exchange, "quota");
      return undefined;
    }
    return { exchange, body };
  }

  /** A request's exchange: its dialect, its key's fingerprint (also in the trace), a request id. */
  private exchange(
    dialect: Dialect,
    key: string | undefined,
    response: ServerResponse,
    trace: RequestTrace,
  ): Exchange {
    trace.fingerprint = keyFingerprint(key);
    return {
      dialect,
      response,
      fingerprint: trace.fingerprint,
      headers: { [dialect.requestIdHeader]: dialect.newId("request") },
      model: "",
      trace,
    };
  }

  private async answer(exchange: Exchange, request: ParsedRequest): Promise<void> {
    const { dialect, response } = exchange;
    const id = dialect.newId("answer");
    const answer = structuredAnswer(request, graderAnswer(request, id) ?? echoAnswer(request, id));
    const now = this.options.now();
    const meter = this.meterFor(exchange.fingerprint);
    const admission = meter.admit(
      {
        tokens: answer.inputTokens + (request.maxTokens ?? answer.outputTokens),
        inputTokens: answer.inputTokens,
        outputTokens: answer.outputTokens,
      },
      now,
    );
    // A refusal's headers say what the window that refused has left, so a client that trusts them
    // waits (under --strict the one-second window, not the minute, which may still look roomy).
    const reading = admission.admitted ? meter.reading(now) : meter.refusedReading(admission, now);
    Object.assign(exchange.headers, dialect.rateLimitHeaders(reading, now));
    if (!admission.admitted) {
      const message = `Rate limit reached for ${admission.limit}. Please try again in ${Math.ceil(admission.retryAfterMs)}ms.`;
      this.fail(exchange, "rate_limited", { message, retryAfterMs: admission.retryAfterMs });
      return;
    }
    const directives = readDirectives(request.prompt);
    if (!(await wait(directives.latencyMs ?? this.options.latencyMs, response))) {
      this.record(exchange, "closed");
      return;
    }
    const fault = directives.fault;
    if (fault && this.attempts.strikes(fault, `${dialect.name}\u0000${request.prompt}`)) {
      this.inject(exchange, request, fault, answer);
      return;
    }
    if (this.options.failRate > 0 && this.options.random() < this.options.failRate) {
      this.fail(exchange, "server");
      return;
    }
    this.respond(exchange, request, answer, now);
  }

  /** A whole answer, or its stream. */
  private respond(exchange: Exchange, request: ParsedRequest, answer: Answer, now: number): void {
    const { dialect, response } = exchange;
    this.record(exchange, 200, { input: answer.inputTokens, output: answer.outputTokens });
    const created = Math.floor(now / 1000);
    if (!request.stream) {
      sendJson(response, 200, exchange.headers, dialect.completionBody(request, answer, created));
      return;
    }
    startEventStream(response, exchange.headers);
    for (const frame of dialect.streamFrames(request, answer, created)) writeFrame(response, frame);
    response.end();
  }

  private inject(exchange: Exchange, request: ParsedRequest, fault: Fault, answer: Answer): void {
    const { response, dialect } = exchange;
    switch (fault.kind) {
      case "reset":
        this.record(exchange, "reset");
        response.socket?.destroy();
        return;
      case "hang":
        this.record(exchange, "hang");
        return;
      case "stall":
      case "cut":
      case "stream_error": {
        if (!request.stream) {
          if (fault.kind === "stream_error") {
            this.fail(exchange, "server");
            return;
          }
          this.record(exchange, fault.kind);
          if (fault.kind === "cut") response.socket?.destroy();
          return;
        }
        this.record(exchange, fault.kind);
        const frames = dialect.streamFrames(request, answer, Math.floor(this.options.now() / 1000));
        startEventStream(response, exchange.headers);
        for (const frame of frames.slice(0, Math.ceil(frames.length / 2))) writeFrame(response, frame);
        if (fault.kind === "stream_error") writeFrame(response, dialect.streamErrorFrame());
        if (fault.kind !== "stall") response.end();
        return;
      }
      case "invalid_output":
        this.respond(exchange, request, structuredAnswer(request, answer, true), this.options.now());
        return;
      case "content_filter":
      case "quota":
      case "too_large":
        this.fail(exchange, fault.kind);
        return;
      default: {
        const retryAfterMs = fault.kind === 429 ? this.options.faultRetryAfterMs : undefined;
        const detail = { status: fault.kind, message: `mock fault ${fault.kind}`, retryAfterMs };
        this.fail(exchange, failureForStatus(fault.kind), detail);
        return;
      }
    }
  }

  private fail(
    exchange: Exchange,
    kind: FailureKind,
    detail: { message?: string; status?: number; retryAfterMs?: number | undefined } = {},
  ): void {
    const { status, body } = exchange.dialect.failure(kind, {
      model: exchange.model,
      ...(detail.message === undefined ? {} : { message: detail.message }),
      ...(detail.status === undefined ? {} : { status: detail.status }),
    });
    const headers = { ...exchange.headers };
    if (detail.retryAfterMs !== undefined) {
      headers["retry-after-ms"] = String(Math.ceil(detail.retryAfterMs));
      headers["retry-after"] = String(Math.ceil(detail.retryAfterMs / 1000));
    }
    this.record(exchange, status);
    sendJson(exchange.response, status, headers, body);
  }

  private record(exchange: Exchange, outcome: Outcome, usage?: { input: number; output: number }): void {
    exchange.trace.outcome = outcome;
    this.stats.record(exchange.fingerprint, outcome, usage);
  }

  /**
   * `GET /v1/models` (and `/v1/models/{id}`): OpenAI's list or Anthropic's, by the request's headers
   * (the two APIs share the path). Needs a key like any request; not metered.
   */
  private models(
    request: IncomingMessage,
    response: ServerResponse,
    id: string | undefined,
    trace: RequestTrace,
  ): void {
    const dialect = modelsDialect(request.headers) === "openai" ? openaiDialect : anthropicDialect;
    const key = dialect.keyOf(request.headers);
    trace.fingerprint = keyFingerprint(key);
    const headers = { [dialect.requestIdHeader]: dialect.newId("request") };
    if (key === undefined || this.options.invalidKeys.has(key)) {
      const { status, body } = dialect.failure("invalid_key", { model: "" });
      sendJson(response, status, headers, body);
      return;
    }
    const body = id === undefined ? modelList(dialect.name) : modelInfo(dialect.name, decodeURIComponent(id));
    sendJson(response, 200, headers, body);
  }

  /** `POST …/embeddings` (OpenAI's API): keys, the meter and the stats as for a chat request. */
  private async embeddings(
    request: IncomingMessage,
    response: ServerResponse,
    trace: RequestTrace,
  ): Promise<void> {
    const dialect = openaiDialect;
    const admitted = await this.admit(dialect, request, response, trace);
    if (!admitted) return;
    const { exchange, body } = admitted;
    const parsed = body instanceof Error ? body.message : parseEmbeddingsRequest(body);
    if (typeof parsed === "string") {
      this.fail(exchange, "bad_request", { message: parsed });
      return;
    }
    exchange.model = parsed.model;
    const now = this.options.now();
    const meter = this.meterFor(exchange.fingerprint);
    const tokens = { tokens: parsed.inputTokens, inputTokens: parsed.inputTokens, outputTokens: 0 };
    const admission = meter.admit(tokens, now);
    const reading = admission.admitted ? meter.reading(now) : meter.refusedReading(admission, now);
    Object.assign(exchange.headers, dialect.rateLimitHeaders(reading, now));
    if (!admission.admitted) {
      const message = `Rate limit reached for ${admission.limit}. Please try again in ${Math.ceil(admission.retryAfterMs)}ms.`;
      this.fail(exchange, "rate_limited", { message, retryAfterMs: admission.retryAfterMs });
      return;
    }
    this.record(exchange, 200, { input: parsed.inputTokens, output: 0 });
    sendJson(response, 200, exchange.headers, embeddingsBody(parsed));
  }

  private meterFor(fingerprint: string): RateMeter {
    let meter = this.meters.get(fingerprint);
    if (!meter) {
      meter = new RateMeter(this.options);
      this.meters.set(fingerprint, meter);
    }
    return meter;
  }
}
