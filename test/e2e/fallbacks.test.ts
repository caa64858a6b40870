import { beforeAll, describe, expect, it } from "vitest";
import { startMockServer } from "../../src/mock-server/index.js";
import { assertBuilt } from "./cli.js";
import { promptsDir, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const PRIMARY = "openai:gpt-4o-mini";
const FALLBACK = "anthropic:claude-haiku-4-5";

const rows = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `q${i + 1}`, prompt: `question number ${i + 1}` }));

/** An address where nothing listens: a server's port, once it is closed. */
async function deadUrl(): Promise<string> {
  const server = await startMockServer({ host: "127.0.0.1", port: 0 });
  await server.close();
  return server.url;
}

describe.concurrent("--fallback", () => {
  it("routes to the fallback when the primary keeps failing with 500s", async (test) => {
    const broken = await serve(test, { failRate: 1 });
    const healthy = await serve(test);
    const cwd = promptsDir(rows(3));
    const run = await runPrompts(cwd, ["-m", PRIMARY, "--fallback", FALLBACK, "--max-attempts", "2"], {
      OPENAI_API_KEY: "sk-test-primary-0123456789",
      OPENAI_BASE_URL: `${broken.url}/v1`,
      ANTHROPIC_API_KEY: "sk-ant-test-fallback-0123456789",
      ANTHROPIC_BASE_URL: healthy.url,
    });
    expect(run.code, run.stderr).toBe(0);
    for (const [i, id] of ["q1", "q2", "q3"].entries()) {
      expect(run.results[id]).toMatchObject({
        status: "ok",
        output: `question number ${i + 1}`,
        model: FALLBACK,
        error: null,
      });
      // At most --max-attempts on the primary, then one on the fallback.
      expect(run.results[id]?.attempts).toBeGreaterThanOrEqual(2);
      expect(run.results[id]?.attempts).toBeLessThanOrEqual(3);
    }
    const failed = broken.stats();
    expect(Object.keys(failed.status_counts)).toEqual(["500"]);
    expect(failed.requests).toBeGreaterThanOrEqual(2);
    expect(failed.requests).toBeLessThanOrEqual(6);
    expect(healthy.stats().status_counts).toEqual({ "200": 3 });
  });

  it("routes to the fallback when the primary's endpoint refuses connections", async (test) => {
    const healthy = await serve(test);
    const cwd = promptsDir(rows(2));
    const run = await runPrompts(cwd, ["-m", PRIMARY, "--fallback", FALLBACK, "--max-attempts", "2"], {
      OPENAI_API_KEY: "sk-test-primary-0123456789",
      OPENAI_BASE_URL: `${await deadUrl()}/v1`,
      ANTHROPIC_API_KEY: "sk-ant-test-fallback-0123456789",
      ANTHROPIC_BASE_URL: healthy.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.q1).toMatchObject({ status: "ok", model: FALLBACK, output: "question number 1" });
    expect(run.results.q2).toMatchObject({ status: "ok", model: FALLBACK, output: "question number 2" });
    expect(healthy.stats().requests).toBe(2);
  });

  it("routes to the fallback when every key of the primary's provider is refused", async (test) => {
    const refusing = await serve(test, { invalidKeys: ["sk-test-revoked-0123456789"] });
    const healthy = await serve(test);
    const cwd = promptsDir(rows(3));
    const run = await runPrompts(
      cwd,
      ["-m", PRIMARY, "--fallback", FALLBACK, "--max-attempts", "2", "--progress", "plain"],
      {
        OPENAI_API_KEY: "sk-test-revoked-0123456789",
        OPENAI_BASE_URL: `${refusing.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-test-fallback-0123456789",
        ANTHROPIC_BASE_URL: healthy.url,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    for (const id of ["q1", "q2", "q3"]) {
      expect(run.results[id]).toMatchObject({ status: "ok", model: FALLBACK });
    }
    expect(run.stderr).toMatch(/\(openai\) disabled: rejected/);
    expect(run.stderr).not.toContain("sk-test-revoked-0123456789");
    expect(healthy.stats().requests).toBe(3);
  });

  it("without a fallback, a primary that keeps failing leaves errors naming it", async (test) => {
    const broken = await serve(test, { failRate: 1 });
    const cwd = promptsDir(rows(1));
    const run = await runPrompts(cwd, ["-m", PRIMARY, "--max-attempts", "2"], {
      OPENAI_API_KEY: "sk-test-primary-0123456789",
      OPENAI_BASE_URL: `${broken.url}/v1`,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.results.q1).toMatchObject({
      status: "error",
      model: PRIMARY,
      attempts: 2,
      error: { type: "server", status: 500 },
    });
  });

  // Waiting out an open circuit costs no attempt; the breaker opening --max-attempts times without a success ends the waiting items.
  it("without a fallback, a dead primary fails every item after --max-attempts, promptly", async (test) => {
    const broken = await serve(test, { failRate: 1 });
    const items = 8;
    const maxAttempts = 2;
    const cwd = promptsDir(rows(items));
    const run = await runPrompts(cwd, ["-m", PRIMARY, "--max-attempts", String(maxAttempts), "-c", "4"], {
      OPENAI_API_KEY: "sk-test-primary-0123456789",
      OPENAI_BASE_URL: `${broken.url}/v1`,
    });
    // runCli kills the process after 20 s: a run that waits on the breaker ends with code null.
    expect(run.code, run.stderr).toBe(1);
    expect(Object.values(run.results)).toHaveLength(items);
    for (const result of Object.values(run.results)) {
      expect(result).toMatchObject({ status: "error", model: PRIMARY, error: { type: "server" } });
    }
    expect(broken.stats().requests).toBeLessThanOrEqual(items * maxAttempts);
  });

  it("the circuit breaker stops sending to a dead primary: far fewer requests than items × attempts", async (test) => {
    const broken = await serve(test, { failRate: 1 });
    const healthy = await serve(test);
    const items = 24;
    const concurrency = 4;
    const maxAttempts = 3;
    const cwd = promptsDir(rows(items));
    const run = await runPrompts(
      cwd,
      [
        "-m",
        PRIMARY,
        "--fallback",
        FALLBACK,
        "--max-attempts",
        String(maxAttempts),
        "-c",
        String(concurrency),
      ],
      {
        OPENAI_API_KEY: "sk-test-primary-0123456789",
        OPENAI_BASE_URL: `${broken.url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-test-fallback-0123456789",
        ANTHROPIC_BASE_URL: healthy.url,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(Object.values(run.results).every((r) => r.status === "ok" && r.model === FALLBACK)).toBe(true);
    expect(Object.keys(run.results)).toHaveLength(items);
    // The breaker opens after 5 failures in a row; only requests already in flight fail after that.
    // Without it the dead primary would see items × attempts = 72 requests.
    const sentToPrimary = broken.stats().requests;
    expect(sentToPrimary).toBeGreaterThanOrEqual(5);
    expect(sentToPrimary).toBeLessThanOrEqual(5 + concurrency - 1);
    // Items that came after the breaker opened went straight to the fallback, in one attempt.
    expect(Object.values(run.results).filter((r) => r.attempts === 1).length).toBeGreaterThan(items / 2);
    expect(healthy.stats().status_counts).toEqual({ "200": items });
  });
});
