import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody } from "../../providers/openai/chat-body.js";
import { normalizeUsage } from "../../providers/openai/completion.js";
import { createProvider } from "../../providers/openai/index.js";
import { duration, openaiRateLimit } from "../../providers/openai/rate-limit.js";
import { type MockServer, startMockServer } from "../../src/mock-server/index.js";
import { chat, context, failure } from "./sdk-fixture.js";

describe("chatBody", () => {
  it("sends max_tokens to chat models and max_completion_tokens to reasoning models", () => {
    expect(chatBody(chat("gpt-4o-mini", "hi", { max_tokens: 5 }))).toMatchObject({ max_tokens: 5 });
    for (const model of ["o1-mini", "o3", "o4-mini", "gpt-5-nano", "openai/o3-mini"]) {
      const body = chatBody(chat(model, "hi", { max_tokens: 5 })) as unknown as Record<string, unknown>;
      expect(body.max_completion_tokens).toBe(5);
      expect(body).not.toHaveProperty("max_tokens");
    }
  });

  it("maps every parameter and passes other Batch API fields through, but not model or stream", () => {
    const body = chatBody(
      chat("gpt-4o", "hi", {
        temperature: 0.2,
        top_p: 0.9,
        stop: ["\n"],
        seed: 7,
        response_format: { type: "json_object" },
        extra: { user: "u1", logprobs: true, model: "other", stream: true, temperature: 1.5 },
      }),
    );
    expect(body).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n"],
      seed: 7,
      response_format: { type: "json_object" },
      user: "u1",
      logprobs: true,
    });
  });
});

describe("OpenAI rate-limit headers", () => {
  it.each([
    ["0s", 0],
    ["20ms", 20],
    ["1s", 1000],
    ["1.5s", 1500],
    ["6m0s", 360_000],
    ["1h2m3.5s", 3_723_500],
  ])("read the reset %s as %d ms", (text, ms) => {
    expect(duration(text, 0)).toBe(ms);
  });

  it.each(["", "soon", "5", "1s later"])("ignore the reset %j", (text) => {
    expect(duration(text, 0)).toBeUndefined();
  });

  it("read a snapshot from the headers that are present", () => {
    const headers = new Headers({
      "x-ratelimit-limit-requests": "500",
      "x-ratelimit-remaining-requests": "499",
      "x-ratelimit-reset-requests": "120ms",
      "x-ratelimit-limit-tokens": "30000",
      "x-ratelimit-remaining-tokens": "29000",
      "x-ratelimit-reset-tokens": "2s",
    });
    expect(openaiRateLimit(headers)).toEqual({
      limitRequests: 500,
      remainingRequests: 499,
      resetRequestsMs: 120,
      limitTokens: 30000,
      remainingTokens: 29000,
      resetTokensMs: 2000,
    });
    expect(openaiRateLimit(new Headers())).toBeUndefined();
  });
});

describe("OpenAI usage", () => {
  it("counts cached prompt tokens when the response reports them", () => {
    expect(
      normalizeUsage({
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64 },
      }),
    ).toEqual({ input_tokens: 100, output_tokens: 20, cached_tokens: 64 });
    expect(normalizeUsage({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })).toEqual({
      input_tokens: 3,
      output_tokens: 4,
    });
  });
});

describe("openai provider against the mock server", () => {
  let server: MockServer;
  const provider = createProvider({});
  beforeAll(async () => {
    server = await startMockServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("counts system and earlier messages as prompt tokens", async () => {
    const completion = await provider.complete(
      {
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "first" },
          { role: "assistant", content: "ok" },
          { role: "user", content: [{ type: "text", text: "second" }] },
        ],
        params: { extra: { user: "someone" } },
      },
      context(`${server.url}/v1`),
    );
    expect(completion.text).toBe("second");
    expect(completion.usage.input_tokens).toBe(Math.ceil("You are terse.\nfirst\nok\nsecond".length / 4));
    expect(completion.usage.cached_tokens).toBe(0);
  });

  it("answers at the base URL without /v1 as well", async () => {
    const completion = await provider.complete(chat("gpt-4o-mini", "no prefix"), context(server.url));
    expect(completion.text).toBe("no prefix");
  });

  it("reports an error event in the middle of a stream as a server error", async () => {
    const error = await failure(
      provider,
      chat("gpt-4o-mini", "one two three [[fault:stream_error]]"),
      context(`${server.url}/v1`, { stream: true }),
    );
    expect(error.type).toBe("server");
    expect(error.retryable).toBe(true);
  });
});
