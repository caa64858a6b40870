import { describe, expect, it } from "vitest";
import {
  abortedError,
  classifyHttpFailure,
  connectionError,
  redactKey,
  retryAfterMs,
  typeForStatus,
} from "../../providers/http-error.js";
import { ProviderError } from "../../src/core/errors.js";

describe("typeForStatus", () => {
  it.each([
    [400, "bad_request"],
    [401, "auth"],
    [402, "quota_exhausted"],
    [403, "auth"],
    [404, "bad_request"],
    [408, "timeout"],
    [409, "server"],
    [422, "bad_request"],
    [429, "rate_limited"],
    [500, "server"],
    [502, "server"],
    [503, "overloaded"],
    [504, "timeout"],
    [529, "overloaded"],
    [599, "server"],
  ])("classifies %d as %s", (status, type) => {
    expect(typeForStatus(status)).toBe(type);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("prefers retry-after-ms over retry-after", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "3" }), now)).toBe(250);
  });

  it("reads retry-after in seconds, or as an HTTP date", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "0.5" }), now)).toBe(500);
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }), now)).toBe(0);
  });

  it("ignores missing or unreadable values", () => {
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "later" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after-ms": "soon", "retry-after": "2" }), now)).toBe(2000);
  });
});

describe("classifyHttpFailure", () => {
  it("lets the body's kind win over the status, and keeps status, request id and retry-after", () => {
    const error = classifyHttpFailure({
      provider: "openai",
      status: 429,
      headers: new Headers({ "retry-after": "7" }),
      message: "429 You exceeded your current quota",
      requestId: "req_1",
      kind: "quota_exhausted",
    });
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      type: "quota_exhausted",
      status: 429,
      requestId: "req_1",
      retryAfterMs: 7000,
    });
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("openai: 429 You exceeded your current quota");
  });

  it("never repeats the key in its message", () => {
    const key = "sk-proj-abcdefghijklmnop";
    const error = classifyHttpFailure({
      provider: "openai",
      status: 401,
      headers: undefined,
      message: `401 Incorrect API key provided: ${key}.`,
      requestId: undefined,
      key,
    });
    expect(error.type).toBe("auth");
    expect(error.message).not.toContain(key);
    expect(redactKey(`a ${key} b ${key}`, key)).toBe("a [redacted key] b [redacted key]");
  });
});

describe("abortedError", () => {
  it("reports a timed-out signal as timeout and any other abort as cancelled", async () => {
    const timedOut = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(abortedError("openai", timedOut).type).toBe("timeout");
    const controller = new AbortController();
    controller.abort();
    expect(abortedError("openai", controller.signal).type).toBe("cancelled");
  });

  it("keeps a ProviderError given as the abort reason", () => {
    const reason = new ProviderError("budget spent", { type: "budget" });
    expect(abortedError("anthropic", AbortSignal.abort(reason))).toBe(reason);
  });
});

describe("connectionError", () => {
  const endpoint = "http://localhost:1/v1";
  const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

  it("finds the system error behind the SDK's, in a cause chain or an AggregateError (each address tried)", () => {
    const viaFetch = new TypeError("fetch failed", {
      cause: coded("ECONNREFUSED", "connect ECONNREFUSED ::1:1"),
    });
    const viaAddresses = Object.assign(
      new AggregateError([coded("ECONNREFUSED", "connect ECONNREFUSED ::1:1")], ""),
      {},
    );
    for (const cause of [viaFetch, viaAddresses]) {
      const sdk = new Error("Connection error.", { cause });
      const error = connectionError("openai", sdk, { endpoint });
      expect(error.message).toBe(`openai: cannot connect to ${endpoint} (ECONNREFUSED)`);
      expect(error).toMatchObject({ type: "connection", unreachable: true, endpoint });
    }
  });

  it("says what else happened, with the endpoint and the code, and keeps the key out", () => {
    const key = "sk-proj-abcdefghijklmnop";
    const reset = connectionError(
      "openai",
      new Error("Connection error.", { cause: coded("ECONNRESET", "socket hang up") }),
      {
        endpoint,
      },
    );
    expect(reset.message).toBe(`openai: socket hang up (${endpoint}, ECONNRESET)`);
    expect(reset.unreachable).toBe(false);
    const described = connectionError("anthropic", `the stream ended early for ${key}`, { endpoint, key });
    expect(described.message).toBe(`anthropic: the stream ended early for [redacted key] (${endpoint})`);
  });
});
