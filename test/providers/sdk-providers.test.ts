import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock-server/index.js";
import { chat, context, failure, SDK_PROVIDERS } from "./sdk-fixture.js";

const MODES = [
  { mode: "whole", stream: false },
  { mode: "streamed", stream: true },
] as const;

describe.each(SDK_PROVIDERS)("$name provider against the mock server", (sdk) => {
  let server: MockServer;
  let baseUrl: string;
  beforeEach(async () => {
    server = await startMockServer({ rpm: 100, tpm: 100_000, faultRetryAfterMs: 250 });
    baseUrl = sdk.baseUrl(server.url);
  });
  afterEach(async () => {
    await server.close();
  });

  describe.each(MODES)("$mode answers", ({ stream }) => {
    const provider = sdk.create({});

    it("echo the last user message with usage, finish reason, request id and rate limits", async () => {
      const prompt = "Say hello to the whole wide world, please.";
      const completion = await provider.complete(
        chat(sdk.model, prompt, { max_tokens: 100 }),
        context(baseUrl, { stream }),
      );
      expect(completion.text).toBe(prompt);
      expect(completion.usage).toMatchObject({
        input_tokens: Math.ceil(prompt.length / 4),
        output_tokens: Math.ceil(prompt.length / 4),
      });
      expect(completion.finishReason).toBe("stop");
      expect(completion.requestId).toMatch(/^req_/);
      expect(completion.rateLimit).toMatchObject({
        limitRequests: 100,
        remainingRequests: 99,
        limitTokens: 100_000,
        // Charged at admission as the prompt's tokens plus max_tokens.
        remainingTokens: 100_000 - Math.ceil(prompt.length / 4) - 100,
      });
      expect(completion.rateLimit?.resetRequestsMs).toBeGreaterThan(0);
      // Anthropic's reset times are whole seconds, so theirs may be a second late.
      expect(completion.rateLimit?.resetRequestsMs).toBeLessThanOrEqual(61_000);
    });

    it("stop at max_tokens with finish reason length", async () => {
      const prompt = "one two three four five six seven eight nine ten";
      const completion = await provider.complete(
        chat(sdk.model, prompt, { max_tokens: 2 }),
        context(baseUrl, { stream }),
      );
      expect(completion.text).toBe(prompt.slice(0, 8));
      expect(completion.finishReason).toBe("length");
      expect(completion.usage.output_tokens).toBe(2);
    });

    it("stop at a stop sequence", async () => {
      const completion = await provider.complete(
        chat(sdk.model, "alpha beta END gamma", { stop: ["END"] }),
        context(baseUrl, { stream }),
      );
      expect(completion.text).toBe("alpha beta ");
      expect(completion.finishReason).toBe("stop");
    });

    it.each([
      { fault: "500", type: "server", status: 500 },
      { fault: "502", type: "server", status: 502 },
      { fault: "503", type: "overloaded", status: 503 },
      { fault: "529", type: "overloaded", status: 529 },
      { fault: "400", type: "bad_request", status: 400 },
      { fault: "401", type: "auth", status: 401 },
      { fault: "403", type: "auth", status: 403 },
      { fault: "404", type: "bad_request", status: 404 },
      { fault: "408", type: "timeout", status: 408 },
      { fault: "409", type: "server", status: 409 },
      { fault: "content_filter", type: "content_filter", status: 400 },
      { fault: "quota", type: "quota_exhausted", status: sdk.name === "openai" ? 429 : 400 },
    ])("classify [[fault:$fault]] as $type", async ({ fault, type, status }) => {
      const error = await failure(
        provider,
        chat(sdk.model, `hi [[fault:${fault}]]`),
        context(baseUrl, { stream }),
      );
      expect(error.type).toBe(type);
      expect(error.status).toBe(status);
      expect(error.requestId).toMatch(/^req_/);
    });

    it("classify an injected 429 as rate_limited with the retry-after it names", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "hi [[fault:429]]"),
        context(baseUrl, { stream }),
      );
      expect(error.type).toBe("rate_limited");
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs).toBe(250);
    });

    it("classify a reset connection as connection", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "hi [[fault:reset]]"),
        context(baseUrl, { stream }),
      );
      expect(error.type).toBe("connection");
      expect(error.retryable).toBe(true);
    });

    it("fail the first attempts of a [[fault:500x2]] prompt, then answer it", async () => {
      const request = chat(sdk.model, "flaky [[fault:500x2]]");
      expect((await failure(provider, request, context(baseUrl, { stream }))).type).toBe("server");
      expect((await failure(provider, request, context(baseUrl, { stream }))).type).toBe("server");
      const completion = await provider.complete(request, context(baseUrl, { stream }));
      expect(completion.text).toBe("flaky [[fault:500x2]]");
      expect(server.stats().status_counts).toEqual({ "200": 1, "500": 2 });
    });

    it("cancel a hung request promptly when its signal aborts", async () => {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);
      const error = await failure(
        provider,
        chat(sdk.model, "wait [[fault:hang]]"),
        context(baseUrl, { stream, signal: controller.signal }),
      );
      expect(error.type).toBe("cancelled");
      expect(error.retryable).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("report a hung request stopped by a timeout signal as timeout", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "wait [[fault:hang]]"),
        context(baseUrl, { stream, signal: AbortSignal.timeout(100) }),
      );
      expect(error.type).toBe("timeout");
      expect(error.retryable).toBe(true);
    });

    it("report a request without a key as auth, without sending it", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "hi"),
        context(baseUrl, { stream, key: undefined }),
      );
      expect(error.type).toBe("auth");
      expect(server.stats().requests).toBe(0);
    });
  });

  describe("streamed answers cut short", () => {
    const provider = sdk.create({});

    it("cancel a stream that stalls half way when its signal aborts", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await failure(
        provider,
        chat(sdk.model, "one two three four [[fault:stall]]"),
        context(baseUrl, { stream: true, signal: controller.signal }),
      );
      expect(error.type).toBe("cancelled");
      expect(server.stats().status_counts).toEqual({ stall: 1 });
    });

    it("report a stream that ends half way as connection, not as an answer", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "one two three four [[fault:cut]]"),
        context(baseUrl, { stream: true }),
      );
      expect(error.type).toBe("connection");
      expect(error.message).toMatch(/ended before the answer was complete/);
    });
  });

  describe("strict limits", () => {
    const provider = sdk.create({});
    let strict: MockServer;
    beforeEach(async () => {
      const at = Date.parse("2026-01-01T00:00:00Z");
      strict = await startMockServer({ rpm: 60, strict: true, now: () => at });
    });
    afterEach(async () => {
      await strict.close();
    });

    it("report the server's one-second rpm window as rate_limited with its retry-after", async () => {
      const url = sdk.baseUrl(strict.url);
      await provider.complete(chat(sdk.model, "first"), context(url));
      const error = await failure(provider, chat(sdk.model, "second"), context(url));
      expect(error.type).toBe("rate_limited");
      expect(error.status).toBe(429);
      expect(error.retryAfterMs).toBe(1000);
      expect(error.requestId).toMatch(/^req_/);
    });
  });

  describe("keys", () => {
    const provider = sdk.create({});
    const invalidKey = "sk-invalid-SECRET-123456";
    const quotaKey = "sk-quota-SECRET-654321";
    let keyed: MockServer;
    beforeEach(async () => {
      keyed = await startMockServer({ invalidKeys: [invalidKey], quotaKeys: [quotaKey] });
    });
    afterEach(async () => {
      await keyed.close();
    });

    it("report an invalid key as auth, without the key in the message", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, `hi ${invalidKey}`),
        context(sdk.baseUrl(keyed.url), { key: invalidKey }),
      );
      expect(error.type).toBe("auth");
      expect(error.status).toBe(401);
      expect(error.retryable).toBe(false);
      expect(error.message).not.toContain(invalidKey);
    });

    it("report a key out of credit as quota_exhausted, not retryable", async () => {
      const error = await failure(
        provider,
        chat(sdk.model, "hi"),
        context(sdk.baseUrl(keyed.url), { key: quotaKey }),
      );
      expect(error.type).toBe("quota_exhausted");
      expect(error.retryable).toBe(false);
    });

    it("meter each key apart, by fingerprint", async () => {
      const url = sdk.baseUrl(keyed.url);
      await provider.complete(chat(sdk.model, "12345678"), context(url, { key: "sk-a" }));
      await provider.complete(chat(sdk.model, "12345678"), context(url, { key: "sk-a" }));
      await provider.complete(chat(sdk.model, "1234"), context(url, { key: "sk-b" }));
      await failure(provider, chat(sdk.model, "hi"), context(url, { key: invalidKey }));
      const { keyFingerprint } = await import("../../src/mock-server/index.js");
      const stats = keyed.stats();
      expect(stats.requests).toBe(4);
      expect(stats.by_key[keyFingerprint("sk-a")]).toEqual({
        requests: 2,
        input_tokens: 4,
        output_tokens: 4,
        status_counts: { "200": 2 },
      });
      expect(stats.by_key[keyFingerprint("sk-b")]?.input_tokens).toBe(1);
      expect(stats.by_key[keyFingerprint(invalidKey)]?.status_counts).toEqual({ "401": 1 });
    });
  });
});
