import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";
import { chatPromptTokens, meteredCost, mockServer } from "./cost-support.js";

beforeAll(assertBuilt);

/**
 * `openai:pricey` costs $1,000 per million tokens either way: $0.001 a token. Each prompt is short
 * words, which the tokenizer counts higher than the mock server meters them (a character count ÷ 4),
 * so a request's worst case (prompt tokens + max_tokens) bounds what it really costs.
 */
const PRICE = { input: 1000, output: 1000 };
const MAX_TOKENS = 10;
const N = 6;
const PROMPTS = Array.from({ length: N }, (_, i) => `Item ${i + 1}: ${"a ".repeat(40).trim()}`);
const WORST_CASE = Math.max(...PROMPTS.map((p) => ((chatPromptTokens(p) + MAX_TOKENS) * PRICE.input) / 1e6));

function setUp(cwd: string): void {
  writeFileSync(join(cwd, "p.yaml"), "openai:pricey: {input: 1000, output: 1000}\n");
  const rows = PROMPTS.map((prompt, i) => JSON.stringify({ id: `c${i + 1}`, prompt }));
  writeFileSync(join(cwd, "in.jsonl"), `${rows.join("\n")}\n`);
}

function runArgs(cap: number, concurrency: number): string[] {
  return [
    ...["run", "in.jsonl", "-m", "openai:pricey", "--prices", "p.yaml", "--max-tokens", String(MAX_TOKENS)],
    ...["--max-cost", String(cap), "-c", String(concurrency), "--state", "st.db", "-o", "out.jsonl"],
    ...["--report", "r.json", "--progress", "plain"],
  ];
}

interface Report {
  run_id: string;
  items: { total: number; ok: number; failed: number; pending: number };
  cost_usd: number | null;
}

const readReport = (cwd: string) => JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;

describe.concurrent("run --max-cost", () => {
  it("stops before crossing the cap (exit 3), then resumes under a higher one without resending", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      setUp(cwd);
      // Each answer really costs about half its worst case: the cap admits three of six items.
      const cap = Number((2.4 * WORST_CASE).toFixed(4));
      const first = await runCli(runArgs(cap, 1), { cwd, env });
      expect(first.code, first.stderr).toBe(3);
      expect(first.stderr).toMatch(/spending cap reached/);
      expect(first.stderr).toMatch(/rerun with a higher --max-cost to resume/);

      const stats = server.stats();
      const spent = meteredCost(stats, PRICE);
      const report = readReport(cwd);
      expect(report.items).toMatchObject({ total: N, ok: 3, failed: 0, pending: N - 3 });
      expect(stats.requests).toBe(3);
      expect(report.cost_usd).toBeCloseTo(spent, 12);
      // Never over the cap, and not stopped while the next request's worst case still fitted.
      expect(spent).toBeLessThanOrEqual(cap);
      expect(spent + WORST_CASE).toBeGreaterThan(cap);

      const status = await runCli(["status", report.run_id, "--state", "st.db"], { cwd });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`${report.items.pending} pending`);
      expect(status.stdout).toMatch(/status\s+unfinished/);

      const higher = Number((N * WORST_CASE + 0.01).toFixed(4));
      const second = await runCli(runArgs(higher, 1), { cwd, env });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/resuming run/);
      const after = server.stats();
      expect(after.requests).toBe(N);
      const final = readReport(cwd);
      expect(final.run_id).toBe(report.run_id);
      expect(final.items).toMatchObject({ total: N, ok: N, pending: 0 });
      expect(final.cost_usd).toBeCloseTo(meteredCost(after, PRICE), 12);
      expect(final.cost_usd ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(higher);
    } finally {
      await server.close();
    }
  });

  // Requests admitted under the cap are paid for: a stop for the cap lets them finish.
  it("lets the requests admitted under the cap finish when concurrency is high", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer({ latencyMs: 150 });
    try {
      setUp(cwd);
      const cap = Number((2.4 * WORST_CASE).toFixed(4));
      const first = await runCli(runArgs(cap, 4), { cwd, env });
      expect(first.code, first.stderr).toBe(3);
      expect(first.stderr).toMatch(/spending cap reached/);
      const report = readReport(cwd);
      expect(report.items.ok).toBeGreaterThan(0);
      expect(report.items.pending).toBe(N - report.items.ok);
      // Whatever reached the provider was recorded: nothing paid for is lost.
      expect(server.stats().requests).toBe(report.items.ok);
      expect(meteredCost(server.stats(), PRICE)).toBeLessThanOrEqual(cap);

      const second = await runCli(runArgs(N * WORST_CASE + 0.01, 4), { cwd, env });
      expect(second.code, second.stderr).toBe(0);
      expect(server.stats().requests).toBe(N);
    } finally {
      await server.close();
    }
  });

  it("refuses --max-cost for a model without a price (exit 2) before sending", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      setUp(cwd);
      const run = await runCli(
        ["run", "in.jsonl", "-m", "openai:my-local-model", "--max-cost", "5", "--state", "st.db"],
        { cwd, env },
      );
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/--max-cost needs a price.*openai:my-local-model.*--prices/);
      expect(run.stdout).toBe("");
      expect(server.stats().requests).toBe(0);
    } finally {
      await server.close();
    }
  });
});
