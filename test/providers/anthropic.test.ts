import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishReason, normalizeUsage } from "../../providers/anthropic/completion.js";
import { createProvider } from "../../providers/anthropic/index.js";
import { DEFAULT_MAX_TOKENS, messageBody } from "../../providers/anthropic/message-body.js";
import { anthropicRateLimit } from "../../providers/anthropic/rate-limit.js";
import { ProviderError } from "../../src/core/errors.js";
import { type MockServer, startMockServer } from "../../src/mock-server/index.js";
import { chat, context, failure } from "./sdk-fixture.js";

describe("messageBody", () => {
  it("moves system and developer messages to the top-level system prompt", () => {
    const body = messageBody({
      model: "claude-haiku-4-5",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use French." }] },
        { role: "user", content: "hello" },
      ],
      params: {},
    });
    expect(body).toEqual({
      model: "claude-haiku-4-5",
      system: "Be brief.\n\nUse French.",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: DEFAULT_MAX_TOKENS,
    });
  });

  it("maps max_tokens, stop, temperature and top_p, and leaves OpenAI-only fields out", () => {
    const body = messageBody(
      chat("claude-haiku-4-5", "hi", {
        max_tokens: 50,
        stop: ["END"],
        temperature: 0.3,
        top_p: 0.8,
        seed: 1,
        extra: { top_k: 5, logprobs: true },
      }),
    );
    expect(body).toEqual({
      model: "claude-haiku-4-5",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 50,
      stop_sequences: ["END"],
      temperature: 0.3,
      top_p: 0.8,
      top_k: 5,
    });
  });

  it("turns image parts into image blocks", () => {
    const body = messageBody({
      model: "claude-haiku-4-5",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
      params: {},
    });
    expect(body.messages[0]?.content).toEqual([
      { type: "text", text: "what is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("refuses tool messages as a bad request", () => {
    const request = {
      model: "claude-haiku-4-5",
      messages: [{ role: "tool" as const, content: "42" }],
      params: {},
    };
    expect(() => messageBody(request)).toThrow(ProviderError);
    expect(() => messageBody(request)).toThrow(/role "tool"/);
  });
});

describe("Anthropic responses", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["refusal", "content_filter"],
    ["tool_use", "tool_calls"],
    [null, "unknown"],
  ])("report stop reason %s as %s", (stop, finish) => {
    expect(finishReason(stop)).toBe(finish);
  });

  it("count cache reads and writes as input tokens, and cache reads as cached", () => {
    expect(
      normalizeUsage({
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 20,
      }),
    ).toEqual({ input_tokens: 130, output_tokens: 5, cached_tokens: 100 });
    expect(normalizeUsage({ input_tokens: 10, output_tokens: 5 })).toEqual({
      input_tokens: 10,
      output_tokens: 5,
    });
  });

  it("read rate-limit resets as milliseconds from now", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const headers = new Headers({
      "anthropic-ratelimit-requests-limit": "50",
      "anthropic-ratelimit-requests-remaining": "49",
      "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:01Z",
      "anthropic-ratelimit-input-tokens-limit": "40000",
      "anthropic-ratelimit-input-tokens-remaining": "39000",
      "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:00:02.5Z",
      "anthropic-ratelimit-output-tokens-reset": "2025-12-31T23:59:00Z",
      "anthropic-ratelimit-tokens-reset": "not a time",
    });
    expect(anthropicRateLimit(headers, now)).toEqual({
      limitRequests: 50,
      remainingRequests: 49,
      resetRequestsMs: 1000,
      limitInputTokens: 40000,
      remainingInputTokens: 39000,
      resetInputTokensMs: 2500,
      resetOutputTokensMs: 0,
    });
  });
});

describe("anthropic provider against the mock server", () => {
  let server: MockServer;
  const provider = createProvider({});
  beforeAll(async () => {
    server = await startMockServer({ tpm: 10_000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it("counts the system prompt as input and reports input and output token limits", async () => {
    const completion = await provider.complete(
      {
        model: "claude-haiku-4-5",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hello there" },
        ],
        params: { max_tokens: 100 },
      },
      context(server.url),
    );
    expect(completion.text).toBe("hello there");
    expect(completion.usage).toEqual({
      input_tokens: Math.ceil("Be brief.\nhello there".length / 4),
      output_tokens: Math.ceil("hello there".length / 4),
      cached_tokens: 0,
    });
    expect(completion.rateLimit).toMatchObject({
      limitInputTokens: 10_000,
      remainingInputTokens: 10_000 - completion.usage.input_tokens,
      limitOutputTokens: 10_000,
      remainingOutputTokens: 10_000 - completion.usage.output_tokens,
    });
  });

  it("refuses a tool message without sending it", async () => {
    const before = server.stats().requests;
    const error = await failure(
      provider,
      { model: "claude-haiku-4-5", messages: [{ role: "tool", content: "42" }], params: {} },
      context(server.url),
    );
    expect(error.type).toBe("bad_request");
    expect(server.stats().requests).toBe(before);
  });

  it("reports errors with the API's message rather than its JSON body", async () => {
    const error = await failure(provider, chat("claude-haiku-4-5", "hi [[fault:500]]"), context(server.url));
    expect(error.message).toBe(`anthropic: 500 api_error: mock fault 500 (${server.url})`);
  });

  it("reports an overloaded error event in the middle of a stream as overloaded", async () => {
    const error = await failure(
      provider,
      chat("claude-haiku-4-5", "one two three [[fault:stream_error]]"),
      context(server.url, { stream: true }),
    );
    expect(error.type).toBe("overloaded");
    expect(error.retryable).toBe(true);
  });
});
