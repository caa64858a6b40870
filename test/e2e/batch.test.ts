import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { itemCost } from "../../src/cost/item-cost.js";
import { builtInPrices } from "../../src/cost/price-table.js";
import type { MockServer } from "../../src/mock-server/index.js";
import { assertBuilt, type CliResult, jsonLines, runCli } from "./cli.js";
import { promptsDir, providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const MODELS = { openai: "openai:gpt-4o-mini", anthropic: "anthropic:claude-haiku-4-5" } as const;
type ProviderName = keyof typeof MODELS;
const KEY = "sk-test-batch-0123456789";

function rows(n: number, prompt = (i: number) => `question number ${i} about batches`) {
  return Array.from({ length: n }, (_, i) => ({ id: `r${i + 1}`, prompt: prompt(i + 1) }));
}

/** `metasync run prompts.jsonl --via batch -o out.jsonl` against `server`, polling fast. */
function batchRun(
  cwd: string,
  provider: ProviderName,
  server: MockServer,
  args: readonly string[] = [],
  kill?: Parameters<typeof runCli>[1]["killWhen"],
): Promise<CliResult> {
  return runCli(
    [
      "run",
      "prompts.jsonl",
      "-m",
      MODELS[provider],
      "--state",
      "state.db",
      "-o",
      "out.jsonl",
      "--progress",
      "plain",
      ...(args.includes("--via") ? [] : ["--via", "batch", "--poll-interval", "0.05"]),
      ...args,
    ],
    { cwd, env: providerEnv(provider, server, KEY), ...(kill ? { killWhen: kill } : {}) },
  );
}

function results(cwd: string): Record<string, Record<string, unknown>> {
  const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
  return Object.fromEntries(lines.map((line) => [String(line.id), line]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent("provider batch mode (--via batch) through the real SDKs", () => {
  it.for(["openai", "anthropic"] as const)(
    "%s: a multi-chunk run waits, collects, writes the outputs and prices them at the batch price",
    async (provider, test) => {
      const server = await serve(test, { batchDelayMs: 150 });
      const cwd = promptsDir(rows(8));
      const run = await batchRun(cwd, provider, server, ["--batch-size", "3", "--report", "report.json"]);
      expect(run.code, run.stderr).toBe(0);
      const out = results(cwd);
      expect(Object.keys(out)).toHaveLength(8);
      for (const [id, result] of Object.entries(out)) {
        expect(result).toMatchObject({ status: "ok", model: MODELS[provider], attempts: 1, error: null });
        expect(result.output).toBe(`question number ${id.slice(1)} about batches`);
      }
      const stats = server.batchStats();
      expect(stats.batches).toBe(3);
      expect(stats.requests).toBe(8);
      expect(stats.duplicateCustomIds).toBe(0);
      expect(stats.duplicateRequests).toBe(0);

      // The cost at batch prices is the server's metered usage × the batch price.
      const metered = stats.usage[`${provider}:${MODELS[provider].split(":")[1]}`];
      const price = builtInPrices().lookup(MODELS[provider])?.price;
      expect(price?.batch_discount).toBe(0.5);
      if (!metered || !price) throw new Error("no usage or price");
      const expected = itemCost(
        { input_tokens: metered.input_tokens, output_tokens: metered.output_tokens },
        price,
        { batch: true },
      );
      const total = Object.values(out).reduce((sum, r) => sum + Number(r.cost_usd), 0);
      expect(total).toBeCloseTo(expected, 12);
      const live = itemCost(
        { input_tokens: metered.input_tokens, output_tokens: metered.output_tokens },
        price,
      );
      const report = JSON.parse(readFileSync(join(cwd, "report.json"), "utf8"));
      expect(report.cost_usd).toBeCloseTo(expected, 12);
      expect(report.batch).toMatchObject({ items: 8 });
      expect(report.batch.live_cost_usd).toBeCloseTo(live, 12);
      expect(report.batch.saving_usd).toBeCloseTo(live - expected, 12);

      // `metasync batches` lists the run's three batches, settled.
      const listed = await runCli(["batches", "--state", "state.db", "--json"], { cwd });
      expect(listed.code, listed.stderr).toBe(0);
      const batches = JSON.parse(listed.stdout) as { provider: string; requests: number; status: string }[];
      expect(batches.map((b) => b.requests).sort()).toEqual([2, 3, 3]);
      expect(batches.every((b) => b.provider === provider && b.status === "settled")).toBe(true);
    },
  );

  it("--detach: submits and exits 75, submits nothing new while batches are open, then collects and exits 0", async (test) => {
    // The server's clock stands still until the test moves it: the batches end when it says.
    let now = Date.now();
    const server = await serve(test, { batchDelayMs: 60_000, now: () => now });
    const cwd = promptsDir(rows(5));
    const first = await batchRun(cwd, "anthropic", server, ["--detach", "--batch-size", "2"]);
    expect(first.code, first.stderr).toBe(75);
    expect(server.batchStats()).toMatchObject({ batches: 3, requests: 5 });
    const status = await runCli(["status", "prompts", "--state", "state.db", "--json"], { cwd });
    const run = JSON.parse(status.stdout);
    expect(run.batches).toMatchObject({ batches: 3, open: 3, at_provider: 5 });

    const second = await batchRun(cwd, "anthropic", server, ["--detach", "--batch-size", "2"]);
    expect(second.code, second.stderr).toBe(75);
    expect(server.batchStats()).toMatchObject({ batches: 3, requests: 5 });

    now += 61_000;
    const third = await batchRun(cwd, "anthropic", server, ["--detach", "--batch-size", "2"]);
    expect(third.code, third.stderr).toBe(0);
    expect(Object.values(results(cwd)).map((r) => r.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(server.batchStats()).toMatchObject({ batches: 3, requests: 5, duplicateRequests: 0 });
  });

  it.for(["openai", "anthropic"] as const)(
    "%s: an expired batch keeps its answers; its unfinished items go into the next batch",
    async (provider, test) => {
      const server = await serve(test, { batchDelayMs: 50 });
      // The expiring prompt comes last: the batch answers its first half, not the prompt itself.
      const cwd = promptsDir(rows(6, (i) => (i === 6 ? "expire me [[batch:expire]]" : `question ${i}`)));
      const run = await batchRun(cwd, provider, server);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/expired: 3 answered, 0 failed, 3 back in the queue/);
      const out = results(cwd);
      expect(Object.values(out).every((r) => r.status === "ok" && r.attempts === 1)).toBe(true);
      const stats = server.batchStats();
      expect(stats.batches).toBe(2);
      // Only the three that never ran were sent again, under new custom_ids.
      expect(stats.requests).toBe(9);
      expect(stats.duplicateRequests).toBe(3);
      expect(stats.duplicateCustomIds).toBe(0);
    },
  );

  it("--via live finishes what an expired batch left, after --detach collected it", async (test) => {
    const server = await serve(test, { batchDelayMs: 300 });
    const cwd = promptsDir(rows(4, (i) => (i === 4 ? "expire me [[batch:expire]]" : `question ${i}`)));
    expect((await batchRun(cwd, "openai", server, ["--detach"])).code).toBe(75);
    await sleep(400);
    const live = await batchRun(cwd, "openai", server, ["--via", "live"]);
    expect(live.code, live.stderr).toBe(0);
    const out = results(cwd);
    expect(Object.keys(out)).toHaveLength(4);
    // Two answered in the batch (half price), two live.
    expect(Object.values(out).filter((r) => r.output !== null).length).toBe(4);
    expect(server.batchStats().batches).toBe(1);
    expect(server.stats().requests).toBe(2);
  });

  it("per-line failures: a transient one is retried in the next batch, a permanent one fails its item (exit 1)", async (test) => {
    const server = await serve(test, { batchDelayMs: 20 });
    const cwd = promptsDir([
      { id: "fine", prompt: "all good" },
      { id: "flaky", prompt: "flaky [[fault:500x1]]" },
      { id: "bad", prompt: "bad [[fault:400]]" },
    ]);
    const run = await batchRun(cwd, "openai", server);
    expect(run.code, run.stderr).toBe(1);
    const out = results(cwd);
    expect(out.fine).toMatchObject({ status: "ok", attempts: 1 });
    expect(out.flaky).toMatchObject({ status: "ok", attempts: 2 });
    expect(out.bad).toMatchObject({
      status: "error",
      attempts: 1,
      error: { type: "bad_request", status: 400 },
    });
    expect(server.batchStats().batches).toBe(2);
  });

  it("OpenAI's enqueued-token limit: a refused batch waits and is submitted again; --batch-queue-tokens avoids the refusal", async (test) => {
    // Each prompt is 8 tokens to the server (30 characters), 12 as metasync estimates it (with the
    // message's overhead); two a batch. The server lets 20 be enqueued: the second batch is refused
    // while the first is open (2.5 s).
    const prompt = (i: number) => `enqueued tokens, prompt ${String(i).padStart(6, "0")}`;
    const refused = await serve(test, { batchDelayMs: 2500, batchQueueTokens: 20 });
    const cwd = promptsDir(rows(4, prompt));
    const run = await batchRun(cwd, "openai", refused, ["--batch-size", "2"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/enqueued-token limit/);
    expect(Object.values(results(cwd)).every((r) => r.status === "ok")).toBe(true);
    expect(refused.batchStats().batches).toBeGreaterThan(2);

    const capped = await serve(test, { batchDelayMs: 1000, batchQueueTokens: 20 });
    const cwd2 = promptsDir(rows(4, prompt));
    const run2 = await batchRun(cwd2, "openai", capped, ["--batch-size", "2", "--batch-queue-tokens", "24"]);
    expect(run2.code, run2.stderr).toBe(0);
    expect(run2.stderr).not.toMatch(/enqueued-token limit/);
    expect(capped.batchStats()).toMatchObject({ batches: 2, requests: 4, duplicateRequests: 0 });
  });

  it("metasync cancel: open batches are cancelled, their items go back to the queue, --via live finishes them", async (test) => {
    const server = await serve(test, { batchDelayMs: 60_000 });
    const cwd = promptsDir(rows(3));
    expect((await batchRun(cwd, "anthropic", server, ["--detach"])).code).toBe(75);
    const cancel = await runCli(["cancel", "prompts", "--state", "state.db"], {
      cwd,
      env: providerEnv("anthropic", server, KEY),
    });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled; 0 answered and kept, 0 failed, 3 back in the queue/);
    const live = await batchRun(cwd, "anthropic", server, ["--via", "live"]);
    expect(live.code, live.stderr).toBe(0);
    expect(Object.values(results(cwd)).every((r) => r.status === "ok")).toBe(true);
  });

  it.for([
    { provider: "openai" as const, moment: "create" },
    { provider: "anthropic" as const, moment: "create" },
    { provider: "openai" as const, moment: "second chunk" },
  ])(
    "$provider: kill -9 during $moment, then the same command: no request in two batches, nothing lost",
    async ({ provider, moment }, test) => {
      // Each create is answered 800 ms after the batch exists: the process dies in between.
      const server = await serve(test, { batchDelayMs: 100, batchCreateDelayMs: 800 });
      const cwd = promptsDir(rows(6));
      const size = moment === "create" ? [] : ["--batch-size", "3"];
      const wanted = moment === "create" ? 1 : 2;
      const killed = await batchRun(cwd, provider, server, size, {
        signal: "SIGKILL",
        when: () => server.batchStats().batches >= wanted,
      });
      expect(killed.signal).toBe("SIGKILL");
      const rerun = await batchRun(cwd, provider, server, size);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toMatch(/adopted/);
      expect(Object.values(results(cwd)).map((r) => r.status)).toEqual(Array(6).fill("ok"));
      expect(server.batchStats()).toMatchObject({ requests: 6, duplicateRequests: 0, duplicateCustomIds: 0 });
    },
  );

  it("kill -9 while collecting, then the same command: every result once, nothing submitted again", async (test) => {
    const server = await serve(test, { batchDelayMs: 0 });
    // Results are committed 10,000 lines at a time, and streamed to stdout as they are: killed at the
    // first line, the process has the rest of the batch still to collect.
    // (Small enough to be killed by the test, not by runCli's 20 s limit, on a loaded machine.)
    const n = 12_000;
    const cwd = promptsDir(rows(n));
    const args = ["--via", "batch", "--poll-interval", "0.05"];
    const killed = await runCli(
      ["run", "prompts.jsonl", "-m", MODELS.openai, "--state", "state.db", "--progress", "none", ...args],
      {
        cwd,
        env: providerEnv("openai", server, KEY),
        killWhen: { signal: "SIGKILL", when: ({ stdout }) => stdout.length > 0 },
      },
    );
    expect(killed.signal).toBe("SIGKILL");
    const status = await runCli(["status", "prompts", "--state", "state.db", "--json"], { cwd });
    const partial = JSON.parse(status.stdout).items;
    expect(partial.ok, `${killed.stdout.slice(0, 300)}\n${status.stdout}`).toBeGreaterThan(0);
    expect(partial.ok).toBeLessThan(n);
    const rerun = await batchRun(cwd, "openai", server);
    expect(rerun.code, rerun.stderr).toBe(0);
    const out = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(out).toHaveLength(n);
    expect(new Set(out.map((r) => r.id)).size).toBe(n);
    expect(out.every((r) => r.status === "ok")).toBe(true);
    expect(server.batchStats()).toMatchObject({ batches: 1, requests: n, duplicateRequests: 0 });
  });

  it("usage errors, before anything is sent: batch flags without --via batch, --max-cost without a price, a provider with no batch API", async () => {
    const cwd = promptsDir(rows(2));
    const run = (args: string[]) =>
      runCli(["run", "prompts.jsonl", "--state", "state.db", "--progress", "none", ...args], {
        cwd,
        env: { OPENAI_API_KEY: KEY },
      });
    const detach = await run(["-m", "mock:echo", "--detach"]);
    expect(detach.code).toBe(2);
    expect(detach.stderr).toMatch(/--detach goes with --via batch/);
    // --max-cost needs a price for every model, as in a live run.
    const cap = await run(["-m", "openai:unpriced-model", "--via", "batch", "--max-cost", "1"]);
    expect(cap.code).toBe(2);
    expect(cap.stderr).toMatch(/--max-cost needs a price for every model; none for openai:unpriced-model/);
    const mock = await run(["-m", "mock:echo", "--via", "batch"]);
    expect(mock.code).toBe(2);
    expect(mock.stderr).toMatch(/mock has no batch API/);
  });

  it("--dry-run --via batch estimates at the batch price: half the live estimate", async () => {
    const cwd = promptsDir(rows(10));
    const estimate = async (args: string[]) => {
      const run = await runCli(
        ["run", "prompts.jsonl", "-m", MODELS.openai, "--state", "state.db", "--dry-run", "--json", ...args],
        { cwd, env: { OPENAI_API_KEY: KEY } },
      );
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout).cost_usd as { min: number; expected: number; max: number };
    };
    const live = await estimate([]);
    const batch = await estimate(["--via", "batch"]);
    expect(batch.expected).toBeCloseTo(live.expected / 2, 12);
    expect(batch.max).toBeCloseTo(live.max / 2, 12);
  });
});
