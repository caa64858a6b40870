import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "vitest";
import { beforeAll, describe, expect, it } from "vitest";
import { itemCost } from "../../src/cost/item-cost.js";
import type { MockServer } from "../../src/mock-server/index.js";
import { assertBuilt, type CliResult, jsonLines, runCli } from "./cli.js";
import { promptsDir, providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

/**
 * `--max-cost` with `--via batch`. `<provider>:pricey` costs $1,000 per million tokens either way
 * ($0.001 a token), half that in a batch. Each prompt is short words, which the tokenizer counts
 * higher than the mock server meters them (a character count ÷ 4): a request's worst case (prompt
 * tokens + max_tokens) bounds what it really costs, and an answer costs about half its worst case.
 */
const PRICE = { input: 1000, output: 1000, batch_discount: 0.5 };
const N = 6;
const KEY = "sk-test-batch-cap-0123456789";
type ProviderName = "openai" | "anthropic";

function setUp(provider: ProviderName): string {
  const rows = Array.from({ length: N }, (_, i) => ({
    id: `c${i + 1}`,
    prompt: `Item ${i + 1}: ${"a ".repeat(40).trim()}`,
  }));
  const cwd = promptsDir(rows);
  writeFileSync(
    join(cwd, "p.yaml"),
    `${provider}:pricey: {input: 1000, output: 1000, batch_discount: 0.5}\n`,
  );
  return cwd;
}

function capRun(
  cwd: string,
  provider: ProviderName,
  server: MockServer | undefined,
  args: readonly string[],
  kill?: Parameters<typeof runCli>[1]["killWhen"],
): Promise<CliResult> {
  return runCli(
    [
      ...["run", "prompts.jsonl", "-m", `${provider}:pricey`, "--prices", "p.yaml", "--max-tokens", "10"],
      ...["--state", "state.db", "-o", "out.jsonl", "--report", "r.json", "--progress", "plain"],
      ...(args.includes("--via") ? [] : ["--via", "batch", "--poll-interval", "0.05"]),
      ...args,
    ],
    {
      cwd,
      env: server ? providerEnv(provider, server, KEY) : { [`${provider.toUpperCase()}_API_KEY`]: KEY },
      ...(kill ? { killWhen: kill } : {}),
    },
  );
}

/** One item's worst case at the batch price: `--dry-run`'s most (prompt tokens + max_tokens, every item alike) ÷ N. */
async function worstCase(cwd: string, provider: ProviderName): Promise<number> {
  const dry = await capRun(cwd, provider, undefined, ["--dry-run", "--json"]);
  expect(dry.code, dry.stderr).toBe(0);
  return (JSON.parse(dry.stdout).cost_usd.max as number) / N;
}

/** What the server metered for the run's batches, at the batch price. */
function meteredBatchCost(server: MockServer, provider: ProviderName): number {
  const usage = server.batchStats().usage[`${provider}:pricey`];
  if (!usage) return 0;
  return itemCost({ input_tokens: usage.input_tokens, output_tokens: usage.output_tokens }, PRICE, {
    batch: true,
  });
}

function report(cwd: string) {
  return JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as {
    items: { total: number; ok: number; pending: number };
    cost_usd: number;
  };
}

async function batchSizes(cwd: string): Promise<number[]> {
  const listed = await runCli(["batches", "--state", "state.db", "--json"], { cwd });
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { requests: number }[]).map((b) => b.requests);
}

describe.concurrent("--max-cost with --via batch, through the real SDKs", () => {
  it.for(["openai", "anthropic"] as const)(
    "%s: chunks are cut to what fits, the cap is never crossed, the stop is exit 3, a higher cap finishes the run",
    async (provider, test: TestContext) => {
      const server = await serve(test, { batchDelayMs: 50 });
      const cwd = setUp(provider);
      const worst = await worstCase(cwd, provider);
      // Two items fit beside nothing spent; once they are in (about one worst case spent), one
      // more; then none: 2.4 worst cases stop the run with items pending.
      const cap = Number((2.4 * worst).toFixed(6));
      const first = await capRun(cwd, provider, server, ["--max-cost", String(cap)]);
      expect(first.code, first.stderr).toBe(3);
      expect(first.stderr).toMatch(/spending cap reached: \$[\d.]+ spent of --max-cost \$[\d.]+/);
      expect(first.stderr).toMatch(/rerun with a higher --max-cost to resume/);
      // The first chunk was cut to the two that fitted (all six would have gone in one batch).
      const sizes = await batchSizes(cwd);
      expect(sizes[0]).toBe(2);
      const stats = server.batchStats();
      expect(stats.requests).toBe(sizes.reduce((a, b) => a + b, 0));
      expect(stats.requests).toBeLessThan(N);
      const spent = meteredBatchCost(server, provider);
      expect(spent).toBeLessThanOrEqual(cap);
      // Not stopped while the next item's worst case still fitted.
      expect(spent + worst).toBeGreaterThan(cap);
      const partial = report(cwd);
      expect(partial.items).toMatchObject({ total: N, ok: stats.requests, pending: N - stats.requests });
      expect(partial.cost_usd).toBeCloseTo(spent, 12);

      const higher = Number((N * worst + 0.001).toFixed(6));
      const second = await capRun(cwd, provider, server, ["--max-cost", String(higher)]);
      expect(second.code, second.stderr).toBe(0);
      const out = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
      expect(out.map((r) => r.status)).toEqual(Array(N).fill("ok"));
      const after = server.batchStats();
      expect(after).toMatchObject({ requests: N, duplicateRequests: 0, duplicateCustomIds: 0 });
      const total = meteredBatchCost(server, provider);
      expect(total).toBeLessThanOrEqual(higher);
      expect(report(cwd).cost_usd).toBeCloseTo(total, 12);
    },
  );

  it("--detach: open batches' reservations are read from the state database by the next process", async (test) => {
    // The server's clock stands still until the test moves it: the batch ends when it says.
    let now = Date.now();
    const server = await serve(test, { batchDelayMs: 60_000, now: () => now });
    const cwd = setUp("anthropic");
    const worst = await worstCase(cwd, "anthropic");
    const cap = Number((3.5 * worst).toFixed(6));
    const args = ["--max-cost", String(cap), "--detach"];
    const first = await capRun(cwd, "anthropic", server, args);
    expect(first.code, first.stderr).toBe(75);
    expect(first.stderr).toMatch(
      /--max-cost \$[\d.]+: \$[\d.]+ spent, \$[\d.]+ held by open batches; the rest waits for open batches to end/,
    );
    expect(server.batchStats()).toMatchObject({ batches: 1, requests: 3 });

    // A new process (as after kill -9): the open batch still holds three worst cases; nothing fits.
    const second = await capRun(cwd, "anthropic", server, args);
    expect(second.code, second.stderr).toBe(75);
    expect(server.batchStats()).toMatchObject({ batches: 1, requests: 3 });

    // The batch ends: its real cost (about half its reservation) replaces the reservation, and
    // what now fits is submitted.
    now += 61_000;
    const third = await capRun(cwd, "anthropic", server, args);
    expect(third.code, third.stderr).toBe(75);
    const stats = server.batchStats();
    expect(stats.batches).toBe(2);
    expect(stats.requests).toBeGreaterThan(3);
    expect(stats.requests).toBeLessThan(N);
    now += 61_000;
    const fourth = await capRun(cwd, "anthropic", server, args);
    expect([0, 3, 75]).toContain(fourth.code);
    const spent = meteredBatchCost(server, "anthropic");
    expect(spent).toBeLessThanOrEqual(cap);
    expect(server.batchStats()).toMatchObject({ duplicateRequests: 0, duplicateCustomIds: 0 });
  });

  it("--via live --max-cost after batch mode counts what open batches hold as in flight", async (test) => {
    const server = await serve(test, { batchDelayMs: 60_000 });
    const cwd = setUp("openai");
    const worst = await worstCase(cwd, "openai");
    const cap = String(Number((2.4 * worst).toFixed(6)));
    const batch = await capRun(cwd, "openai", server, ["--max-cost", cap, "--detach"]);
    expect(batch.code, batch.stderr).toBe(75);
    expect(server.batchStats()).toMatchObject({ batches: 1, requests: 2 });
    // The open batch holds two worst cases of the 2.4: not one more request fits live.
    const live = await capRun(cwd, "openai", server, ["--max-cost", cap, "--via", "live"]);
    expect(live.code, live.stderr).toBe(3);
    expect(live.stderr).toMatch(
      /spending cap reached: \$0\.00 spent of --max-cost \$[\d.]+ \(\$[\d.]+ more in flight\)/,
    );
    expect(server.stats().requests).toBe(0);
  });

  it("kill -9 while a batch is open, then the same command: the batch's reservation is kept, the cap never crossed", async (test) => {
    const server = await serve(test, { batchDelayMs: 2_000 });
    const cwd = setUp("openai");
    const worst = await worstCase(cwd, "openai");
    const cap = Number((2.4 * worst).toFixed(6));
    const killed = await capRun(cwd, "openai", server, ["--max-cost", String(cap)], {
      signal: "SIGKILL",
      when: ({ stderr }) => /the rest waits for open batches/.test(stderr),
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(server.batchStats()).toMatchObject({ batches: 1, requests: 2 });
    // The same command: its first pass finds the open batch holding two worst cases, and submits
    // nothing more until that batch has ended and been collected.
    const rerun = await capRun(cwd, "openai", server, ["--max-cost", String(cap)]);
    expect(rerun.code, rerun.stderr).toBe(3);
    expect(rerun.stderr).toMatch(/spending cap reached/);
    const stats = server.batchStats();
    expect(stats).toMatchObject({ duplicateRequests: 0, duplicateCustomIds: 0 });
    expect(stats.requests).toBeLessThan(N);
    expect(meteredBatchCost(server, "openai")).toBeLessThanOrEqual(cap);
    // Nothing was submitted beside the open batch (memory alone would have sent two more at once):
    // one more once its real cost was known, then the stop.
    expect(rerun.stderr).toMatch(/the rest waits for open batches to end/);
    expect(await batchSizes(cwd)).toEqual([2, 1]);
  });

  it("--dry-run --via batch --max-cost says how many items the cap covers", async () => {
    const cwd = setUp("openai");
    const worst = await worstCase(cwd, "openai");
    const dry = await capRun(cwd, "openai", undefined, ["--dry-run", "--max-cost", String(2.5 * worst)]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(
      /--max-cost \$[\d.]+ covers 2 of 6 items at their worst case at the batch price/,
    );
    const all = await capRun(cwd, "openai", undefined, ["--dry-run", "--max-cost", String(10 * worst)]);
    expect(all.stderr).toMatch(/covers 6 of 6 items/);
  });
});
