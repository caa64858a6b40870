import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines } from "./cli.js";
import { promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const MODELS = { openai: "openai:gpt-4o-mini", anthropic: "anthropic:claude-haiku-4-5" } as const;
type ProviderName = keyof typeof MODELS;
const KEY = "sk-test-faults-0123456789";

/** Runs one prompt against a fresh mock server; returns its result and what the server saw. */
async function runOne(
  test: Parameters<typeof serve>[0],
  provider: ProviderName,
  prompt: string,
  args: readonly string[],
  serverOptions: Parameters<typeof serve>[1] = {},
) {
  const server = await serve(test, serverOptions);
  const cwd = promptsDir([{ id: "item", prompt }]);
  const run = await runPrompts(cwd, ["-m", MODELS[provider], ...args], providerEnv(provider, server, KEY));
  return { run, result: run.results.item, stats: server.stats() };
}

describe.concurrent("transient faults", () => {
  it.for([
    {
      provider: "openai" as const,
      fault: "500x1",
      retried: "server",
      failed: "500",
      attempts: 2,
      stream: false,
    },
    {
      provider: "openai" as const,
      fault: "503x1",
      retried: "overloaded",
      failed: "503",
      attempts: 2,
      stream: false,
    },
    {
      provider: "openai" as const,
      fault: "resetx1",
      retried: "connection",
      failed: "reset",
      attempts: 2,
      stream: false,
    },
    {
      provider: "openai" as const,
      fault: "500x2",
      retried: "server",
      failed: "500",
      attempts: 3,
      stream: false,
    },
    {
      provider: "openai" as const,
      fault: "cutx1",
      retried: "connection",
      failed: "cut",
      attempts: 2,
      stream: true,
    },
    {
      provider: "openai" as const,
      fault: "stream_errorx1",
      retried: "server",
      failed: "stream_error",
      attempts: 2,
      stream: true,
    },
    {
      provider: "anthropic" as const,
      fault: "529x1",
      retried: "overloaded",
      failed: "529",
      attempts: 2,
      stream: false,
    },
    {
      provider: "anthropic" as const,
      fault: "resetx1",
      retried: "connection",
      failed: "reset",
      attempts: 2,
      stream: false,
    },
    {
      provider: "anthropic" as const,
      fault: "500x2",
      retried: "server",
      failed: "500",
      attempts: 3,
      stream: true,
    },
    {
      provider: "anthropic" as const,
      fault: "cutx1",
      retried: "connection",
      failed: "cut",
      attempts: 2,
      stream: true,
    },
    {
      provider: "anthropic" as const,
      fault: "stream_errorx1",
      retried: "overloaded",
      failed: "stream_error",
      attempts: 2,
      stream: true,
    },
  ])(
    "$provider [[fault:$fault]] (stream: $stream) is retried as $retried until answered; attempts shows the retries",
    async ({ provider, fault, retried, failed, attempts, stream }, test) => {
      const prompt = `please answer [[fault:${fault}]]`;
      const { run, result, stats } = await runOne(test, provider, prompt, [
        "--max-attempts",
        "4",
        "--progress",
        "json",
        ...(stream ? ["--stream"] : []),
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(result).toMatchObject({ status: "ok", output: prompt, attempts, error: null });
      expect(result?.model).toBe(MODELS[provider]);
      expect(stats.status_counts).toEqual({ [failed]: attempts - 1, "200": 1 });
      // Each retry was announced on stderr, with the kind of failure and the wait before it.
      const retries = jsonLines(run.stderr).filter((event) => event.type === "retry");
      expect(retries).toHaveLength(attempts - 1);
      for (const retry of retries) {
        expect(retry).toMatchObject({ id: "item", error: { type: retried } });
        expect(retry.delay_ms).toBeGreaterThan(0);
      }
    },
  );
});

describe.concurrent("failures that stay", () => {
  it.for([
    { provider: "openai" as const, fault: "500", type: "server", status: 500 },
    { provider: "anthropic" as const, fault: "529", type: "overloaded", status: 529 },
    { provider: "openai" as const, fault: "reset", type: "connection", status: undefined },
  ])(
    "$provider [[fault:$fault]] on every attempt ends as error type $type after --max-attempts",
    async ({ provider, fault, type, status }, test) => {
      const { run, result, stats } = await runOne(test, provider, `never answered [[fault:${fault}]]`, [
        "--max-attempts",
        "2",
      ]);
      expect(run.code, run.stderr).toBe(1);
      expect(result).toMatchObject({ status: "error", output: null, attempts: 2, error: { type } });
      expect((result?.error as { status?: number } | undefined)?.status).toBe(status);
      expect(stats.requests).toBe(2);
    },
  );

  it.for(["openai", "anthropic"] as const)(
    "%s [[fault:400]] is a bad_request after exactly one attempt",
    async (provider, test) => {
      const { run, result, stats } = await runOne(test, provider, "malformed [[fault:400]]", [
        "--max-attempts",
        "5",
      ]);
      expect(run.code, run.stderr).toBe(1);
      expect(result).toMatchObject({
        status: "error",
        attempts: 1,
        error: { type: "bad_request", status: 400 },
      });
      expect(result?.request_id).toMatch(/^req_/);
      expect(stats.requests).toBe(1);
    },
  );

  it.for(["openai", "anthropic"] as const)(
    "%s [[fault:content_filter]] is a content_filter error, not retried",
    async (provider, test) => {
      const { run, result, stats } = await runOne(test, provider, "filtered [[fault:content_filter]]", [
        "--max-attempts",
        "5",
      ]);
      expect(run.code, run.stderr).toBe(1);
      expect(result).toMatchObject({ status: "error", attempts: 1, error: { type: "content_filter" } });
      expect(stats.requests).toBe(1);
    },
  );
});

describe.concurrent("timeouts", () => {
  it.for(["openai", "anthropic"] as const)(
    "%s: a request that hangs is abandoned after --timeout and retried",
    async (provider, test) => {
      const prompt = "slow [[fault:hangx1]]";
      // Long enough that the answered retry fits in it on a loaded machine.
      const { run, result, stats } = await runOne(test, provider, prompt, [
        "--timeout",
        "2",
        "--max-attempts",
        "2",
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(result).toMatchObject({ status: "ok", output: prompt, attempts: 2 });
      expect(stats.status_counts).toEqual({ hang: 1, "200": 1 });
    },
  );

  it("a request that always hangs ends as error type timeout when attempts run out", async (test) => {
    const { run, result, stats } = await runOne(test, "openai", "never [[fault:hang]]", [
      "--timeout",
      "0.5",
      "--max-attempts",
      "2",
    ]);
    expect(run.code, run.stderr).toBe(1);
    expect(result).toMatchObject({ status: "error", attempts: 2, error: { type: "timeout" } });
    expect((result?.error as { message?: string } | undefined)?.message).toMatch(/--timeout/);
    expect(stats.requests).toBe(2);
  });

  it("a stream that stalls half way is abandoned after --timeout and retried", async (test) => {
    const prompt = "a stream that stops sending [[fault:stallx1]]";
    const { run, result, stats } = await runOne(test, "anthropic", prompt, [
      "--stream",
      "--timeout",
      "2",
      "--max-attempts",
      "2",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(result).toMatchObject({ status: "ok", output: prompt, attempts: 2 });
    expect(stats.status_counts).toEqual({ stall: 1, "200": 1 });
  });
});

describe.concurrent("429 from the provider", () => {
  it.for(["openai", "anthropic"] as const)(
    "%s: a 429 is retried once its retry-after has passed",
    async (provider, test) => {
      const retryAfterMs = 1200;
      const prompt = "busy [[fault:429x1]]";
      const { run, result, stats } = await runOne(
        test,
        provider,
        prompt,
        ["--progress", "json", "--max-attempts", "2"],
        { faultRetryAfterMs: retryAfterMs },
      );
      expect(run.code, run.stderr).toBe(0);
      // The 429 was a wait for the budget: counted apart, it cost no attempt.
      expect(result).toMatchObject({ status: "ok", output: prompt, attempts: 1, rate_limited_retries: 1 });
      expect(stats.status_counts).toEqual({ "429": 1, "200": 1 });
      const events = jsonLines(run.stderr);
      const limited = events.find((event) => event.type === "rate_limited");
      expect(limited).toMatchObject({ retry_after_ms: retryAfterMs });
      // The answer came no sooner than the provider asked.
      const end = events.find((event) => event.type === "end");
      const waited = Date.parse(String(end?.time)) - Date.parse(String(limited?.time));
      expect(waited).toBeGreaterThanOrEqual(retryAfterMs - 50);
    },
  );
});
