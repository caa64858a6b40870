import { beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { MockServer, MockServerOptions } from "../../src/mock-server/index.js";
import { assertBuilt, jsonLines, runCli } from "./cli.js";
import { keyFingerprint, promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

// Issue 12, "Trust, part 1": what the sending engine owes a user who sets limits, shares keys and
// meets faults.

beforeAll(assertBuilt);

const OPENAI = "openai:gpt-4o-mini";
const ANTHROPIC = "anthropic:claude-haiku-4-5";

/** A mock server that notes when each request it meters arrived. */
async function serveCounting(
  test: TestContext,
  options: MockServerOptions = {},
): Promise<MockServer & { arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = await serve(test, {
    ...options,
    now: () => {
      const at = Date.now();
      arrivals.push(at);
      return at;
    },
  });
  return Object.assign(server, { arrivals });
}

const rows = (prompts: readonly string[]) => prompts.map((prompt, i) => ({ id: `p${i}`, prompt }));
const numbered = (count: number, text = (i: number) => `prompt ${i}`) =>
  Array.from({ length: count }, (_, i) => text(i));

/** Events of `--progress json` on stderr, of one type. */
const events = (stderr: string, type: string) =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.type === type);

describe.concurrent("a limit the user gives is a ceiling", () => {
  it("--rpm 60 against a server whose headers allow 6,000: no more than 60 requests in the first minute", async (test) => {
    const server = await serveCounting(test, { rpm: 6_000 });
    const cwd = promptsDir(rows(numbered(100)));
    const started = Date.now();
    // Interrupted after 15 s: a minute's 60 may go sooner where the headers allow, never more.
    const run = await runCli(
      ["run", "prompts.jsonl", "-m", OPENAI, "--rpm", "60", "--state", "state.db", "--progress", "none"],
      {
        cwd,
        env: providerEnv("openai", server, "sk-ceiling-0123456789"),
        killAfter: { signal: "SIGINT", ms: 15_000 },
      },
    );
    expect(run.code, run.stderr).toBe(130);
    const firstMinute = server.arrivals.filter((at) => at - started < 60_000);
    expect(firstMinute.length).toBeLessThanOrEqual(60);
    // It did burst into what the headers allowed: paced alone, 15 s would see 15 or so.
    expect(firstMinute.length).toBeGreaterThan(30);
  });
});

describe.concurrent("dead keys and refused rows", () => {
  it("sends a key without quota beside a good one at most two requests at -c 16", async (test) => {
    const server = await serve(test, { quotaKeys: ["sk-broke-0000"] });
    const cwd = promptsDir(rows(numbered(40)));
    const run = await runPrompts(
      cwd,
      ["-m", OPENAI, "-c", "16", "--progress", "json"],
      providerEnv("openai", server, ["sk-broke-0000", "sk-good-1111"]),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(Object.values(run.results).filter((r) => r.status === "ok")).toHaveLength(40);
    expect(server.stats().by_key[keyFingerprint("sk-broke-0000")]?.requests).toBeLessThanOrEqual(2);
    expect(events(run.stderr, "key_disabled").map((e) => e.key)).toEqual([keyFingerprint("sk-broke-0000")]);
  });

  it.for([
    { fault: "403", type: "auth", status: 403 },
    { fault: "401", type: "auth", status: 401 },
    { fault: "quota", type: "quota_exhausted", status: 429 },
  ])(
    "one row answered [[fault:$fault]] fails as its own error; the 3 keys stay and the other 30 rows succeed",
    async ({ fault, type, status }, test) => {
      const server = await serve(test);
      const prompts = numbered(31, (i) => (i === 9 ? `bad row [[fault:${fault}]]` : `prompt ${i}`));
      const cwd = promptsDir(rows(prompts));
      const keys = ["sk-k1-0000", "sk-k2-0000", "sk-k3-0000"];
      const run = await runPrompts(
        cwd,
        ["-m", OPENAI, "--progress", "json"],
        providerEnv("openai", server, keys),
      );
      expect(run.code, run.stderr).toBe(1);
      expect(run.results.p9).toMatchObject({ status: "error", error: { type, status } });
      const ok = Object.values(run.results).filter((r) => r.status === "ok");
      expect(ok).toHaveLength(30);
      expect(events(run.stderr, "key_disabled")).toEqual([]);
      // Sent a few times, on different keys, not round every key until the pool is drained.
      const badRequests = server.stats().requests - 30;
      expect(badRequests).toBeLessThanOrEqual(3);
    },
  );

  it("with one key, a row answered 403 fails alone and the run goes on", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir(rows(numbered(12, (i) => (i === 0 ? "forbidden [[fault:403]]" : `prompt ${i}`))));
    const run = await runPrompts(cwd, ["-m", OPENAI], providerEnv("openai", server, "sk-only-0123456789"));
    expect(run.code, run.stderr).toBe(1);
    expect(run.results.p0).toMatchObject({ status: "error", error: { type: "auth", status: 403 } });
    expect(Object.values(run.results).filter((r) => r.status === "ok")).toHaveLength(11);
  });
});

describe.concurrent("429s", () => {
  it("a permanent 429 (OpenAI's 'Request too large … TPM') fails the item after --max-attempts", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir(rows(["huge [[fault:too_large]]", "fine"]));
    const run = await runPrompts(
      cwd,
      ["-m", OPENAI, "--max-attempts", "3", "--progress", "json"],
      providerEnv("openai", server, "sk-large-0123456789"),
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.results.p0).toMatchObject({
      status: "error",
      attempts: 3,
      error: { type: "rate_limited", status: 429 },
    });
    expect(String((run.results.p0?.error as { message?: string } | undefined)?.message)).toMatch(
      /Request too large/,
    );
    expect(run.results.p0).not.toHaveProperty("rate_limited_retries");
    expect(run.results.p1).toMatchObject({ status: "ok", attempts: 1 });
    expect(server.stats().status_counts).toEqual({ "429": 3, "200": 1 });
    // Not a sign the scope is busy: nothing cooled down.
    expect(events(run.stderr, "rate_limited")).toEqual([]);
  });

  it("429s that wait for the budget are counted apart: attempts never exceeds --max-attempts", async (test) => {
    const server = await serve(test, { faultRetryAfterMs: 100 });
    const cwd = promptsDir(rows(["busy [[fault:429x3]]"]));
    const run = await runPrompts(
      cwd,
      ["-m", OPENAI, "--max-attempts", "2"],
      providerEnv("openai", server, "sk-busy-0123456789"),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.p0).toMatchObject({ status: "ok", attempts: 1, rate_limited_retries: 3 });
    expect(jsonLines(run.stdout)[0]).toHaveProperty("rate_limited_retries", 3);
  });
});

describe.concurrent("the circuit breaker", () => {
  it.for([
    { provider: "openai" as const, model: OPENAI, fault: "500x1" },
    { provider: "anthropic" as const, model: ANTHROPIC, fault: "529x1" },
  ])(
    "$provider: six items that fail once open the breaker; waiting it out costs none of them its second attempt",
    async ({ provider, model, fault }, test) => {
      const server = await serve(test);
      const cwd = promptsDir(rows(numbered(6, (i) => `flaky ${i} [[fault:${fault}]]`)));
      const run = await runPrompts(
        cwd,
        ["-m", model, "-c", "6", "--max-attempts", "2"],
        providerEnv(provider, server, `sk-${provider}-breaker-0123`),
      );
      expect(run.code, run.stderr).toBe(0);
      for (let i = 0; i < 6; i++) {
        expect(run.results[`p${i}`]).toMatchObject({ status: "ok", attempts: 2, error: null });
      }
      expect(server.stats().requests).toBe(12);
    },
  );
});
