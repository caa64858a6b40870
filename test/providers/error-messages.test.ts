import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock-server/index.js";
import { chat, context, failure, SDK_PROVIDERS } from "./sdk-fixture.js";

// Issue 16: every provider error names the endpoint and the cause ("openai: Connection error." said
// neither), and says whether anything there answered at all (what stops a run on a wrong URL).

/** A port nothing listens on: one the system handed out, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(SDK_PROVIDERS)("$name provider errors", (sdk) => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({});
  });
  afterAll(() => server.close());
  const provider = sdk.create({});

  it("a refused connection: cannot connect to <endpoint> (ECONNREFUSED), unreachable", async () => {
    const endpoint = sdk.baseUrl(`http://127.0.0.1:${await closedPort()}`);
    const error = await failure(provider, chat(sdk.model, "hi"), context(endpoint));
    expect(error.message).toBe(`${sdk.name}: cannot connect to ${endpoint} (ECONNREFUSED)`);
    expect(error).toMatchObject({ type: "connection", endpoint, unreachable: true });
    expect(error.retryable).toBe(true);
  });

  it("a host name that does not resolve: cannot connect to <endpoint> (ENOTFOUND or EAI_AGAIN), unreachable", async () => {
    const endpoint = sdk.baseUrl("http://nosuch-host.invalid");
    const error = await failure(provider, chat(sdk.model, "hi"), context(endpoint));
    expect(error.message).toMatch(
      new RegExp(
        `^${sdk.name}: cannot connect to http://nosuch-host\\.invalid\\S* \\((ENOTFOUND|EAI_AGAIN)\\)$`,
      ),
    );
    expect(error).toMatchObject({ type: "connection", unreachable: true });
  });

  it("a connection reset by a server that answered: the cause and the endpoint, not unreachable", async () => {
    const endpoint = sdk.baseUrl(server.url);
    const error = await failure(provider, chat(sdk.model, "hi [[fault:reset]]"), context(endpoint));
    expect(error.type).toBe("connection");
    expect(error.unreachable).toBe(false);
    expect(error.message).toContain(endpoint);
    expect(error.message).not.toMatch(/Connection error\.$/);
    expect(error.message).toMatch(/ECONNRESET|socket hang up|closed/);
  });

  it("a stream cut off mid-answer names the endpoint", async () => {
    const endpoint = sdk.baseUrl(server.url);
    const error = await failure(
      provider,
      chat(sdk.model, "one two three [[fault:cut]]"),
      context(endpoint, { stream: true }),
    );
    expect(error.type).toBe("connection");
    expect(error.message).toContain(endpoint);
  });

  it("an HTTP error keeps the provider's message and names the endpoint", async () => {
    const endpoint = sdk.baseUrl(server.url);
    const error = await failure(provider, chat(sdk.model, "hi [[fault:500]]"), context(endpoint));
    expect(error).toMatchObject({ type: "server", status: 500, endpoint, unreachable: false });
    expect(error.message).toMatch(new RegExp(`^${sdk.name}: 500 .*mock fault 500.* \\(${endpoint}\\)$`));
  });
});
