import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines } from "./cli.js";
import { keyFingerprint, promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const MODELS = { openai: "openai:gpt-4o-mini", anthropic: "anthropic:claude-haiku-4-5" } as const;
const KEY = "sk-test-providers-0123456789";

const ROWS = [
  { id: "short", prompt: "hello there" },
  { id: "chat", messages: [{ role: "user", content: "ünïcode — and a few more words 😊" }] },
  // Four characters a token: 40 characters, cut at two tokens.
  { id: "long", prompt: "one two three four five six seven eight", max_tokens: 2 },
  { id: "stop", prompt: "alpha beta STOP gamma", stop: ["STOP"] },
];

describe.concurrent("answers through the providers' SDKs", () => {
  it.for([
    { provider: "openai" as const, stream: false },
    { provider: "openai" as const, stream: true },
    { provider: "anthropic" as const, stream: false },
    { provider: "anthropic" as const, stream: true },
  ])(
    "$provider (stream: $stream): output, usage, finish reason, request id and the model of each item",
    async ({ provider, stream }, test) => {
      const server = await serve(test);
      const cwd = promptsDir(ROWS);
      const run = await runPrompts(
        cwd,
        ["-m", MODELS[provider], ...(stream ? ["--stream"] : [])],
        providerEnv(provider, server, KEY),
      );
      expect(run.code, run.stderr).toBe(0);
      expect(Object.keys(run.results).sort()).toEqual(["chat", "long", "short", "stop"]);
      const { short, chat, long, stop } = run.results;
      for (const result of [short, chat, long, stop]) {
        expect(result).toMatchObject({ status: "ok", model: MODELS[provider], attempts: 1, error: null });
        expect(result?.request_id).toMatch(/^req_[\w-]+$/);
      }
      expect(short).toMatchObject({ output: "hello there", finish_reason: "stop" });
      expect(chat).toMatchObject({ output: "ünïcode — and a few more words 😊", finish_reason: "stop" });
      expect(long).toMatchObject({ output: "one two ", finish_reason: "length" });
      // Anthropic's stop_sequence reads as OpenAI's "stop".
      expect(stop).toMatchObject({ output: "alpha beta ", finish_reason: "stop" });
      expect(short?.usage).toEqual({ input_tokens: 3, output_tokens: 3, cached_tokens: 0 });
      expect(long?.usage).toMatchObject({ input_tokens: 10, output_tokens: 2 });
      // The request ids are the ones the server sent, one per answer.
      expect(new Set([short, chat, long, stop].map((r) => r?.request_id)).size).toBe(4);

      // What the server metered for this key is what the results report.
      const stats = server.stats();
      expect(stats.requests).toBe(4);
      const metered = stats.by_key[keyFingerprint(KEY)];
      expect(metered?.status_counts).toEqual({ "200": 4 });
      const usages = [short, chat, long, stop].map(
        (r) => r?.usage as { input_tokens: number; output_tokens: number },
      );
      expect(metered?.input_tokens).toBe(usages.reduce((sum, u) => sum + u.input_tokens, 0));
      expect(metered?.output_tokens).toBe(usages.reduce((sum, u) => sum + u.output_tokens, 0));
      // The key itself is never written anywhere a user reads.
      expect(run.stdout + run.stderr).not.toContain(KEY);
    },
  );
});

describe.concurrent("provider endpoints and keys", () => {
  it("--base-url sends the model's provider to the given endpoint", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir([{ id: "1", prompt: "via the flag" }]);
    const run = await runPrompts(cwd, ["-m", MODELS.openai, "--base-url", `${server.url}/v1`], {
      OPENAI_API_KEY: KEY,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.results["1"]).toMatchObject({ status: "ok", output: "via the flag" });
    expect(server.stats().requests).toBe(1);
  });

  it("with no key for openai, exits 2 naming OPENAI_API_KEY before anything is sent", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir([{ id: "1", prompt: "never sent" }]);
    const run = await runPrompts(cwd, ["-m", MODELS.openai], { OPENAI_BASE_URL: `${server.url}/v1` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no API key for openai: set OPENAI_API_KEY/);
    expect(run.stdout).toBe("");
    expect(server.stats().requests).toBe(0);
  });

  it("with no key for a fallback's provider, exits 2 naming ANTHROPIC_API_KEY", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir([{ id: "1", prompt: "never sent" }]);
    const run = await runPrompts(
      cwd,
      ["-m", MODELS.openai, "--fallback", MODELS.anthropic],
      providerEnv("openai", server, KEY),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ANTHROPIC_API_KEY/);
    expect(server.stats().requests).toBe(0);
  });
});

describe.concurrent("OpenAI Batch API files", () => {
  const batchLine = (customId: string, content: string, extra: Record<string, unknown> = {}) => ({
    custom_id: customId,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "gpt-4o-mini", messages: [{ role: "user", content }], ...extra },
  });

  it("runs Batch API input lines unchanged and writes Batch API output lines", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir([
      batchLine("request-1", "first batch prompt", { max_tokens: 50 }),
      batchLine("request-2", "second [[fault:400]] prompt"),
      batchLine("request-3", "third batch prompt"),
    ]);
    const run = await runPrompts(
      cwd,
      ["--out-format", "openai-batch", "-o", "out.jsonl", "--max-attempts", "3"],
      providerEnv("openai", server, KEY),
    );
    // One item failed for good: the run finishes with exit 1, its error in the results.
    expect(run.code, run.stderr).toBe(1);
    const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(lines.map((l) => l.custom_id)).toEqual(["request-1", "request-2", "request-3"]);
    const [first, second, third] = lines;
    for (const ok of [first, third]) {
      expect(ok).toMatchObject({
        id: expect.stringMatching(/^batch_req_/),
        error: null,
        response: {
          status_code: 200,
          request_id: expect.stringMatching(/^req_/),
          body: {
            object: "chat.completion",
            model: "gpt-4o-mini",
            choices: [{ index: 0, message: { role: "assistant" }, finish_reason: "stop" }],
          },
        },
      });
    }
    const body = (line: Record<string, unknown> | undefined) =>
      (line?.response as { body?: Record<string, unknown> } | undefined)?.body;
    expect(body(first)).toMatchObject({
      choices: [{ message: { content: "first batch prompt" } }],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    });
    expect(body(third)).toMatchObject({ choices: [{ message: { content: "third batch prompt" } }] });
    expect(second).toMatchObject({
      custom_id: "request-2",
      error: null,
      response: {
        status_code: 400,
        request_id: expect.stringMatching(/^req_/),
        body: {
          error: { type: "invalid_request_error", message: expect.stringContaining("mock fault 400") },
        },
      },
    });
    expect(body(second)).not.toHaveProperty("choices");
    // The bad request was sent once, never retried.
    expect(server.stats().status_counts).toEqual({ "200": 2, "400": 1 });
  });

  it("writes an item that got no HTTP answer as a Batch API line with error and no response", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir([batchLine("slow-1", "never answers [[fault:hang]]")]);
    const run = await runPrompts(
      cwd,
      ["--out-format", "openai-batch", "-o", "out.jsonl", "--max-attempts", "1", "--timeout", "0.5"],
      providerEnv("openai", server, KEY),
    );
    expect(run.code, run.stderr).toBe(1);
    const [line, ...rest] = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      custom_id: "slow-1",
      response: null,
      error: { code: "timeout", message: expect.stringMatching(/--timeout/) },
    });
    expect(server.stats().status_counts).toEqual({ hang: 1 });
  });
});
