import { afterEach, describe, expect, it } from "vitest";
import { keyFingerprint, type MockServer, startMockServer } from "../../src/mock-server/index.js";

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("GET /v1/models", () => {
  it("answers OpenAI's list, or Anthropic's page when the request has Anthropic's headers", async () => {
    server = await startMockServer();
    const openai = await fetch(`${server.url}/v1/models`, { headers: { authorization: "Bearer sk-1" } });
    expect(openai.status).toBe(200);
    expect(openai.headers.get("x-request-id")).toMatch(/^req_/);
    const list = (await openai.json()) as { object: string; data: Record<string, unknown>[] };
    expect(list.object).toBe("list");
    expect(list.data[0]).toEqual({
      id: "gpt-4o-mini",
      object: "model",
      created: expect.any(Number),
      owned_by: "system",
    });

    const anthropic = await fetch(`${server.url}/v1/models`, {
      headers: { "x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01" },
    });
    const page = (await anthropic.json()) as Record<string, unknown>;
    expect(page).toMatchObject({ has_more: false, first_id: "claude-haiku-4-5" });
    expect((page.data as unknown[])[0]).toEqual({
      type: "model",
      id: "claude-haiku-4-5",
      display_name: "Claude Haiku 4.5",
      created_at: expect.stringMatching(/Z$/),
    });
  });

  it("retrieves one model by id, and refuses a missing or invalid key in the API's shape", async () => {
    server = await startMockServer({ invalidKeys: ["bad"] });
    const one = await fetch(`${server.url}/v1/models/my-model`, {
      headers: { authorization: "Bearer sk-1" },
    });
    expect(await one.json()).toMatchObject({ id: "my-model", object: "model" });
    const missing = await fetch(`${server.url}/v1/models`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: "invalid_api_key" } });
    const invalid = await fetch(`${server.url}/v1/models`, {
      headers: { "x-api-key": "bad", "anthropic-version": "2023-06-01" },
    });
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    // Listing models is not metered.
    expect(server.stats().requests).toBe(0);
  });
});

describe("the request log", () => {
  it("one line a request once it has ended: time, method, path, key fingerprint, status, latency", async () => {
    const lines: string[] = [];
    server = await startMockServer({
      log: (line) => lines.push(line),
      now: () => Date.parse("2026-01-01T00:00:00Z"),
    });
    await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-1", "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    await fetch(`${server.url}/nowhere`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^2026-01-01T00:00:00.000Z POST /v1/chat/completions key=${keyFingerprint("sk-1")} 200 \\d+ ms$`,
        ),
      ),
      expect.stringMatching(/^2026-01-01T00:00:00.000Z GET \/nowhere key=none 404 \d+ ms$/),
    ]);
  });
});

describe("a 429 under strict limits", () => {
  it("carries headers that agree with it: nothing left in the one-second window, reset when it frees", async () => {
    const clock = { at: Date.parse("2026-01-01T00:00:00Z") };
    server = await startMockServer({ rpm: 600, strict: true, now: () => clock.at });
    const post = () =>
      fetch(`${(server as MockServer).url}/v1/messages`, {
        method: "POST",
        headers: {
          "x-api-key": "sk-ant-1",
          "anthropic-version": "2023-06-01",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          model: "claude-haiku-4-5",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
    for (let i = 0; i < 10; i++) expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("anthropic-ratelimit-requests-limit")).toBe("600");
    expect(limited.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(limited.headers.get("anthropic-ratelimit-requests-reset")).toBe("2026-01-01T00:00:01Z");
    expect(limited.headers.get("retry-after")).toBe("1");
  });
});
