import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UsageError } from "../core/errors.js";
import type { BatchStats } from "./batch-jobs.js";
import { type MockServerOptions, resolveOptions } from "./options.js";
import { MockRequestHandler, type RequestTrace } from "./request-handler.js";
import type { MockStats } from "./stats.js";

export type { BatchStats } from "./batch-jobs.js";
export { BATCH_STATS_PATH } from "./batch-routes.js";
export type { FaultKind } from "./directives.js";
export type { MockServerOptions } from "./options.js";
export { STATS_PATH } from "./request-handler.js";
export { type KeyStats, keyFingerprint, type MockStats } from "./stats.js";

export interface MockServer {
  /** `http://host:port`: Anthropic's base URL; OpenAI's is `${url}/v1`. */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): MockStats;
  /** What provider batches were submitted (duplicates counted) and billed. */
  batchStats(): BatchStats;
}

/**
 * Logs a request once its response has ended (or the client went away): `2026-01-01T00:00:00.000Z
 * POST /v1/chat/completions key=1a2b3c4d 429 3 ms`. A request that ended without a status names how
 * (`reset`, `hang`, `closed` …).
 */
function logWhenDone(
  log: (line: string) => void,
  now: () => number,
  request: IncomingMessage,
  response: ServerResponse,
  trace: RequestTrace,
): void {
  const started = performance.now();
  const path = new URL(request.url ?? "/", "http://mock").pathname;
  response.once("close", () => {
    const ms = Math.round(performance.now() - started);
    const outcome = trace.outcome ?? (response.headersSent ? response.statusCode : "closed");
    const key = trace.fingerprint ?? "none";
    log(`${new Date(now()).toISOString()} ${request.method} ${path} key=${key} ${outcome} ${ms} ms`);
  });
}

/**
 * Why the server could not listen, as a user error (exit 2) where the user can fix it: a port in
 * use or not allowed, a host that is not an interface of this machine.
 */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case "EADDRINUSE":
      return new UsageError(
        `port ${port} is in use on ${host}: stop what listens there, or pick another with --port (--port 0 picks a free one)`,
        { cause: error },
      );
    case "EACCES":
      return new UsageError(`no permission to listen on port ${port}: pick one above 1023 with --port`, {
        cause: error,
      });
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UsageError(`cannot listen on ${host}: not an address of this machine (--host)`, {
        cause: error,
      });
    default:
      return error;
  }
}

/**
 * Starts a local server that speaks OpenAI's Chat Completions and Anthropic's Messages APIs,
 * answering each request with the text of its last user message, under the given limits and faults.
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const resolved = resolveOptions(options);
  const handler = new MockRequestHandler(resolved);
  const server = createServer((request, response) => {
    const trace: RequestTrace = {};
    if (resolved.log) logWhenDone(resolved.log, resolved.now, request, response, trace);
    handler.handle(request, response, trace).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: `mock server error: ${String(error)}` } }));
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) =>
      reject(listenError(error, resolved.host, resolved.port));
    server.once("error", refused);
    server.listen(resolved.port, resolved.host, () => {
      server.off("error", refused);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => handler.stats.snapshot(),
    batchStats: () => handler.batches.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung and kept-alive connections would hold the server open.
        server.closeAllConnections();
      }),
  };
}
