import { afterEach, describe, expect, it } from "vitest";
import {
  keyFingerprint,
  type MockServer,
  type MockServerOptions,
  startMockServer,
} from "../../src/mock-server/index.js";

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: MockServerOptions = {}): Promise<MockServer> {
  server = await startMockServer(options);
  return server;
}

/** A clock the test moves by hand. */
function manualClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  const clock = { at: start, now: () => clock.at };
  return clock;
}

const openaiBody = (prompt: string, extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: prompt }],
  ...extra,
});

const anthropicBody = (prompt: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-haiku-4-5",
  max_tokens: 100,
  messages: [{ role: "user", content: prompt }],
  ...extra,
});

function postOpenAI(s: MockServer, body: unknown, key = "sk-1") {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function postAnthropic(s: MockServer, body: unknown, key = "sk-ant-1") {
  return fetch(`${s.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("rate limits", () => {
  it("enforces rpm over one-second windows when strict, with retry-after headers", async () => {
    const clock = manualClock();
    const s = await start({ rpm: 60, strict: true, now: clock.now });
    expect((await postOpenAI(s, openaiBody("a"))).status).toBe(200);
    const limited = await postOpenAI(s, openaiBody("b"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after-ms")).toBe("1000");
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await limited.json()).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    clock.at += 999;
    expect((await postOpenAI(s, openaiBody("c"))).status).toBe(429);
    clock.at += 1;
    expect((await postOpenAI(s, openaiBody("d"))).status).toBe(200);
  });

  it("spreads a limit under 60 a minute evenly when strict", async () => {
    const clock = manualClock();
    const s = await start({ rpm: 30, strict: true, now: clock.now });
    expect((await postAnthropic(s, anthropicBody("a"))).status).toBe(200);
    const limited = await postAnthropic(s, anthropicBody("b"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after-ms")).toBe("2000");
    expect(await limited.json()).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: expect.stringMatching(/rate limit/i) },
    });
  });

  it("allows a whole minute's requests at once over the sliding minute", async () => {
    const clock = manualClock();
    const s = await start({ rpm: 3, now: clock.now });
    for (const prompt of ["a", "b", "c"]) expect((await postOpenAI(s, openaiBody(prompt))).status).toBe(200);
    clock.at += 10_000;
    const limited = await postOpenAI(s, openaiBody("d"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after-ms")).toBe("50000");
    expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    clock.at += 50_000;
    expect((await postOpenAI(s, openaiBody("e"))).status).toBe(200);
  });

  it("meters each key apart", async () => {
    const s = await start({ rpm: 1, now: manualClock().now });
    expect((await postOpenAI(s, openaiBody("a"), "sk-1")).status).toBe(200);
    expect((await postOpenAI(s, openaiBody("a"), "sk-2")).status).toBe(200);
    expect((await postOpenAI(s, openaiBody("a"), "sk-1")).status).toBe(429);
  });

  it("charges prompt tokens plus max_tokens against tpm, and admits an oversized request alone", async () => {
    const clock = manualClock();
    const s = await start({ tpm: 100, now: clock.now });
    const prompt = "x".repeat(40); // 10 tokens
    const first = await postOpenAI(s, openaiBody(prompt, { max_tokens: 60 }));
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("30");
    expect(first.headers.get("x-ratelimit-reset-tokens")).toBe("1m0s");
    const second = await postOpenAI(s, openaiBody(prompt, { max_tokens: 60 }));
    expect(second.status).toBe(429);
    clock.at += 60_000;
    expect((await postOpenAI(s, openaiBody(prompt, { max_tokens: 500 }))).status).toBe(200);
  });

  it("reports Anthropic's limits with RFC 3339 reset times", async () => {
    const clock = manualClock();
    const s = await start({ rpm: 50, tpm: 1000, now: clock.now });
    const response = await postAnthropic(s, anthropicBody("hello"));
    expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBe("50");
    expect(response.headers.get("anthropic-ratelimit-requests-remaining")).toBe("49");
    expect(response.headers.get("anthropic-ratelimit-requests-reset")).toBe("2026-01-01T00:01:00Z");
    expect(response.headers.get("anthropic-ratelimit-tokens-remaining")).toBe(String(1000 - 2 - 100));
    expect(response.headers.get("anthropic-ratelimit-input-tokens-remaining")).toBe("998");
    expect(response.headers.get("anthropic-ratelimit-output-tokens-remaining")).toBe("998");
  });
});

describe("wire format", () => {
  async function events(response: Response): Promise<{ event: string | undefined; data: string }[]> {
    const text = await response.text();
    return text
      .trim()
      .split("\n\n")
      .map((block) => ({
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: /^data: (.*)$/m.exec(block)?.[1] ?? "",
      }));
  }

  it("streams OpenAI chunks, with a final usage chunk only when asked", async () => {
    const s = await start();
    const withUsage = await events(
      await postOpenAI(s, openaiBody("hi there", { stream: true, stream_options: { include_usage: true } })),
    );
    expect(withUsage.at(-1)?.data).toBe("[DONE]");
    const usageChunk = JSON.parse(withUsage.at(-2)?.data ?? "{}");
    expect(usageChunk).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 2 } });
    const contents = withUsage
      .slice(0, -2)
      .map((e) => JSON.parse(e.data).choices[0].delta.content ?? "")
      .join("");
    expect(contents).toBe("hi there");
    const withoutUsage = await events(await postOpenAI(s, openaiBody("hi there", { stream: true })));
    expect(withoutUsage.some((e) => e.data.includes('"usage"'))).toBe(false);
  });

  it("streams Anthropic's events in order", async () => {
    const s = await start();
    const stream = await events(await postAnthropic(s, anthropicBody("hi there", { stream: true })));
    expect(stream.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(JSON.parse(stream[6]?.data ?? "{}")).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 2 },
    });
  });

  it("answers requests without a key, with bad JSON or missing fields in each provider's shape", async () => {
    const s = await start();
    const noKey = await fetch(`${s.url}/v1/messages`, {
      method: "POST",
      body: JSON.stringify(anthropicBody("a")),
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const badJson = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-1" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    const noMaxTokens = await postAnthropic(s, { model: "claude-haiku-4-5", messages: [] });
    expect(noMaxTokens.status).toBe(400);
    expect((await fetch(`${s.url}/v1/no-such-route`, { method: "POST" })).status).toBe(404);
  });

  it("answers [[fault:too_large]] as each provider says a request is over its limit by itself", async () => {
    const s = await start();
    const openai = await postOpenAI(s, openaiBody("huge [[fault:too_large]]"));
    expect(openai.status).toBe(429);
    const body = (await openai.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("rate_limit_exceeded");
    expect(body.error.message).toMatch(
      /^Request too large for gpt-4o-mini .* Limit 30000, Requested 50000\./,
    );
    const anthropic = await postAnthropic(s, anthropicBody("huge [[fault:too_large]]"));
    expect(anthropic.status).toBe(413);
    expect(await anthropic.json()).toMatchObject({ error: { type: "request_too_large" } });
  });

  it("sends request ids in each provider's header", async () => {
    const s = await start();
    expect((await postOpenAI(s, openaiBody("a"))).headers.get("x-request-id")).toMatch(/^req_/);
    expect((await postAnthropic(s, anthropicBody("a"))).headers.get("request-id")).toMatch(/^req_/);
  });
});

describe("behaviour options", () => {
  it("fails the configured fraction of requests with a 500", async () => {
    const draws = [0.05, 0.5, 0.09, 0.95];
    const s = await start({ failRate: 0.1, random: () => draws.shift() ?? 1 });
    const statuses = [];
    for (const prompt of ["a", "b", "c", "d"])
      statuses.push((await postOpenAI(s, openaiBody(prompt))).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
  });

  it("waits latencyMs before answering", async () => {
    const s = await start({ latencyMs: 150 });
    const started = Date.now();
    expect((await postAnthropic(s, anthropicBody("a"))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("serves what it metered at GET /_metasync/stats", async () => {
    const s = await start({ invalidKeys: ["sk-bad"] });
    await postOpenAI(s, openaiBody("12345678"), "sk-good");
    await postAnthropic(s, anthropicBody("1234"), "sk-good");
    await postOpenAI(s, openaiBody("x"), "sk-bad");
    const stats = await (await fetch(`${s.url}/_metasync/stats`)).json();
    expect(stats).toEqual({
      requests: 3,
      status_counts: { "200": 2, "401": 1 },
      by_key: {
        [keyFingerprint("sk-good")]: {
          requests: 2,
          input_tokens: 3,
          output_tokens: 3,
          status_counts: { "200": 2 },
        },
        [keyFingerprint("sk-bad")]: {
          requests: 1,
          input_tokens: 0,
          output_tokens: 0,
          status_counts: { "401": 1 },
        },
      },
    });
    expect(keyFingerprint("sk-good")).toMatch(/^[0-9a-f]{8}$/);
    expect(stats).toEqual(s.stats());
  });

  it("closes promptly with a hung request in flight", async () => {
    const s = await start();
    const hung = postOpenAI(s, openaiBody("[[fault:hang]]")).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await s.close();
    server = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hung).toBeInstanceOf(Error);
  });

  it("rejects options out of range", async () => {
    await expect(startMockServer({ failRate: 2 })).rejects.toThrow(/failRate/);
    await expect(startMockServer({ rpm: -1 })).rejects.toThrow(/rpm/);
  });
});
