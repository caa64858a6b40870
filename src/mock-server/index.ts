import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type MockServerOptions, resolveOptions } from "./options.js";
import { MockRequestHandler } from "./request-handler.js";
import type { MockStats } from "./stats.js";

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
}

/**
 * Starts a local server that speaks OpenAI's Chat Completions and Anthropic's Messages APIs,
 * answering each request with the text of its last user message, under the given limits and faults.
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const resolved = resolveOptions(options);
  const handler = new MockRequestHandler(resolved);
  const server = createServer((request, response) => {
    handler.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: `mock server error: ${String(error)}` } }));
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => handler.stats.snapshot(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung and kept-alive connections would hold the server open.
        server.closeAllConnections();
      }),
  };
}
