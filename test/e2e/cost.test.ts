import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { dollars, listPrice, meteredCost, meteredUsage, mockServer, roundsTo } from "./cost-support.js";

beforeAll(assertBuilt);

/** Prompts of different lengths, so that a cost mixed up between items would show. */
function writePrompts(cwd: string, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `q${i + 1}`,
    prompt: `Question ${i + 1}: ${"lorem ipsum dolor ".repeat((i + 1) * 3)}`,
  }));
  writeFileSync(join(cwd, "in.jsonl"), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  return "in.jsonl";
}

interface Group {
  items: number;
  ok: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  cost_usd_known: number;
}

interface Report {
  run_id: string;
  items: { total: number; ok: number; failed: number; pending: number };
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
  cost_usd_known: number;
  unpriced_models: string[];
  by_model: Record<string, Group>;
  by_key: Record<string, Group>;
}

interface Result {
  id: string;
  status: string;
  usage: { input_tokens: number; output_tokens: number } | null;
  cost_usd: number | null;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Report;
const summaryLine = (stderr: string) => stderr.split("\n").find((line) => line.startsWith("metasync: done:"));

describe.concurrent("cost (DESIGN §7)", () => {
  it("prices every result and totals the report from what the provider metered", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      const input = writePrompts(cwd, 8);
      const args = ["run", input, "-m", "openai:gpt-4o-mini", "--state", "st.db", "-o", "out.jsonl"];
      const run = await runCli([...args, "--report", "r.json", "--progress", "plain"], { cwd, env });
      expect(run.code, run.stderr).toBe(0);

      const price = listPrice("openai:gpt-4o-mini");
      const stats = server.stats();
      expect(stats.requests).toBe(8);
      const expected = meteredCost(stats, price);
      expect(expected).toBeGreaterThan(0);

      // Each result's cost is its own usage at the list price.
      const results = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8")) as unknown as Result[];
      expect(results).toHaveLength(8);
      let sum = 0;
      for (const result of results) {
        expect(result.status).toBe("ok");
        const usage = result.usage;
        if (!usage) throw new Error(`result ${result.id} has no usage`);
        expect(typeof result.cost_usd, result.id).toBe("number");
        expect(result.cost_usd).toBeCloseTo(
          (usage.input_tokens * price.input + usage.output_tokens * price.output) / 1e6,
          12,
        );
        sum += result.cost_usd ?? 0;
      }
      expect(new Set(results.map((r) => r.cost_usd)).size).toBeGreaterThan(1);
      expect(sum).toBeCloseTo(expected, 12);

      // The report's totals are the metered usage times the price.
      const report = readJson(join(cwd, "r.json"));
      expect(report.items).toMatchObject({ total: 8, ok: 8, failed: 0, pending: 0 });
      expect(report.usage).toMatchObject(meteredUsage(stats));
      expect(report.cost_usd).toBeCloseTo(expected, 12);
      expect(report.cost_usd_known).toBeCloseTo(expected, 12);
      expect(report.unpriced_models).toEqual([]);
      expect(Object.keys(report.by_model)).toEqual(["openai:gpt-4o-mini"]);
      expect(report.by_model["openai:gpt-4o-mini"]).toMatchObject({
        items: 8,
        ok: 8,
        ...meteredUsage(stats),
      });
      expect(report.by_model["openai:gpt-4o-mini"]?.cost_usd).toBeCloseTo(expected, 12);
      // Keys are named by the same fingerprint on both sides, and never by the key itself.
      expect(Object.keys(report.by_key)).toEqual(Object.keys(stats.by_key));
      for (const [fingerprint, metered] of Object.entries(stats.by_key)) {
        const group = report.by_key[fingerprint];
        expect(group).toMatchObject({
          input_tokens: metered.input_tokens,
          output_tokens: metered.output_tokens,
        });
        expect(group?.cost_usd).toBeCloseTo(
          (metered.input_tokens * price.input + metered.output_tokens * price.output) / 1e6,
          12,
        );
      }
      expect(readFileSync(join(cwd, "r.json"), "utf8")).not.toContain("sk-cost-test");

      // The summary at the end of the run shows the cost.
      const summary = summaryLine(run.stderr);
      expect(summary, run.stderr).toBeDefined();
      const shown = dollars(summary ?? "");
      expect(shown, summary).toHaveLength(1);
      expect(roundsTo(shown[0] ?? 0, expected), `${summary} vs ${expected}`).toBe(true);

      // `metasync report <run> --format json` prints the same totals.
      const again = await runCli(["report", report.run_id, "--format", "json", "--state", "st.db"], { cwd });
      expect(again.code, again.stderr).toBe(0);
      const stored = JSON.parse(again.stdout) as Report;
      for (const field of ["run_id", "items", "usage", "cost_usd", "by_model", "by_key"] as const) {
        expect(stored[field], field).toEqual(report[field]);
      }

      // Rerunning the finished run with a Markdown report sends nothing and writes readable totals.
      const md = await runCli([...args, "--report", "r.md", "--progress", "plain"], { cwd, env });
      expect(md.code, md.stderr).toBe(0);
      expect(server.stats().requests).toBe(8);
      const text = readFileSync(join(cwd, "r.md"), "utf8");
      expect(text).toMatch(/^## metasync run report: `[^`]+`\n/);
      expect(text).toMatch(/^\| 8 \| 8 \| 0 \| 0 \| /m);
      const costRow = text.split("\n").find((line) => line.startsWith("| cost |"));
      expect(costRow, text).toBeDefined();
      expect(roundsTo(dollars(costRow ?? "")[0] ?? 0, expected), `${costRow} vs ${expected}`).toBe(true);
      const usage = meteredUsage(stats);
      expect(text).toContain(
        `${usage.input_tokens.toLocaleString("en-US")} input (0 cached) · ${usage.output_tokens.toLocaleString("en-US")} output`,
      );
      expect(text).toMatch(/### By model\n\n\| model \|.*\n\|.*\n\| `openai:gpt-4o-mini` \| 8 \| 8 \| 0 \|/);
      expect(text).not.toMatch(/unknown/i);
    } finally {
      await server.close();
    }
  });

  it("reports an unpriced model's cost as unknown, with a warning, never as $0", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      const input = writePrompts(cwd, 4);
      const run = await runCli(
        [
          ...["run", input, "-m", "openai:my-local-model", "--state", "st.db", "-o", "out.jsonl"],
          ...["--report", "r.json", "--progress", "plain"],
        ],
        { cwd, env },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/warning: no price for openai:my-local-model.*--prices/);
      const stats = server.stats();
      expect(stats.requests).toBe(4);

      const results = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8")) as unknown as Result[];
      expect(results).toHaveLength(4);
      for (const result of results) {
        expect(result).toMatchObject({ status: "ok", cost_usd: null });
        expect(result.usage?.input_tokens).toBeGreaterThan(0);
      }

      const report = readJson(join(cwd, "r.json"));
      expect(report.cost_usd).toBeNull();
      expect(report.cost_usd_known).toBe(0);
      expect(report.unpriced_models).toEqual(["openai:my-local-model"]);
      expect(report.usage).toMatchObject(meteredUsage(stats));
      expect(report.by_model["openai:my-local-model"]?.cost_usd).toBeNull();
      for (const group of Object.values(report.by_key)) expect(group.cost_usd).toBeNull();

      const summary = summaryLine(run.stderr) ?? "";
      expect(summary, run.stderr).toContain("cost unknown");
      expect(dollars(summary)).toEqual([]);

      const md = await runCli(["report", report.run_id, "--state", "st.db"], { cwd });
      expect(md.code, md.stderr).toBe(0);
      expect(md.stdout).toMatch(/^\| cost \| unknown \(no price for openai:my-local-model\) \|$/m);
      expect(md.stdout).toMatch(/\| `openai:my-local-model` \|.*\| unknown \|$/m);
      expect(dollars(md.stdout)).toEqual([]);

      // `report --prices` prices what was stored without a cost: input $1, output $2 per million.
      writeFileSync(join(cwd, "p.yaml"), "openai:my-local-model: {input: 1.0, output: 2.0}\n");
      const priced = await runCli(
        ["report", report.run_id, "--format", "json", "--prices", "p.yaml", "--state", "st.db"],
        { cwd },
      );
      expect(priced.code, priced.stderr).toBe(0);
      const { input_tokens, output_tokens } = meteredUsage(stats);
      expect((JSON.parse(priced.stdout) as Report).cost_usd).toBeCloseTo(
        input_tokens * 1e-6 + output_tokens * 2e-6,
        12,
      );
    } finally {
      await server.close();
    }
  });

  it("reports a shared limit scope's budget use once, however many keys it has", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      const input = writePrompts(cwd, 4);
      writeFileSync(
        join(cwd, "keys.yaml"),
        "keys:\n  - {provider: openai, key: sk-one, scope: team-a}\n  - {provider: openai, key: sk-two, scope: team-a}\n",
      );
      const run = await runCli(
        [
          ...["run", input, "-m", "openai:gpt-4o-mini", "--keys", "keys.yaml", "--rpm", "6000"],
          ...["--state", "st.db", "-o", "out.jsonl", "--report", "r.json", "--progress", "none"],
        ],
        { cwd, env: { OPENAI_BASE_URL: env.OPENAI_BASE_URL ?? "" } },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(server.stats().requests).toBe(4);
      const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as {
        budget: Record<string, { requests: number }>;
      };
      expect(Object.keys(report.budget)).toEqual(["openai:team-a"]);
      expect(report.budget["openai:team-a"]?.requests).toBe(4);
    } finally {
      await server.close();
    }
  });

  it("prices a model from --prices: input $1 and output $2 per million tokens", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      const input = writePrompts(cwd, 4);
      writeFileSync(join(cwd, "p.yaml"), "openai:my-local-model: {input: 1.0, output: 2.0}\n");
      const run = await runCli(
        [
          ...["run", input, "-m", "openai:my-local-model", "--prices", "p.yaml", "--state", "st.db"],
          ...["-o", "out.jsonl", "--report", "r.json", "--progress", "plain"],
        ],
        { cwd, env },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/warning/);

      const results = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8")) as unknown as Result[];
      expect(results).toHaveLength(4);
      for (const { usage, cost_usd } of results) {
        if (!usage) throw new Error("a result without usage");
        // e.g. 14 input and 14 output tokens: 14 × $1/M + 14 × $2/M = $0.000042
        expect(cost_usd).toBeCloseTo(usage.input_tokens * 1e-6 + usage.output_tokens * 2e-6, 12);
      }
      const stats = server.stats();
      const { input_tokens, output_tokens } = meteredUsage(stats);
      const expected = input_tokens * 1e-6 + output_tokens * 2e-6;
      expect(meteredCost(stats, { input: 1, output: 2 })).toBeCloseTo(expected, 12);
      const report = readJson(join(cwd, "r.json"));
      expect(report.unpriced_models).toEqual([]);
      expect(report.cost_usd).toBeCloseTo(expected, 12);
      expect(report.by_model["openai:my-local-model"]?.cost_usd).toBeCloseTo(expected, 12);
      const shown = dollars(summaryLine(run.stderr) ?? "");
      expect(roundsTo(shown[0] ?? 0, expected), run.stderr).toBe(true);
    } finally {
      await server.close();
    }
  });
});
