import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../src/report/run-report.js";
import { reportCommand } from "../../src/report/stored-run-report.js";
import { assertBuilt, runCli, workDir } from "../e2e/cli.js";

beforeAll(assertBuilt);

/** A finished mock run of fixtures/prompts.jsonl (4 prompts), made by the built binary. */
async function mockRun(): Promise<{ cwd: string; state: string }> {
  const cwd = workDir();
  const state = join(cwd, "s.db");
  const run = await runCli(
    [
      "run",
      "fixtures/prompts.jsonl",
      "-m",
      "mock:echo",
      "--state",
      state,
      "--run",
      "smoke",
      "-o",
      "out.jsonl",
    ],
    { cwd },
  );
  expect(run.code, run.stderr).toBe(0);
  return { cwd, state };
}

describe.concurrent("the report of a stored run", () => {
  it("is JSON with DESIGN §7's fields, the mock costing nothing", async () => {
    const { state } = await mockRun();
    const report = JSON.parse(
      await reportCommand({ statePath: state, ref: "smoke", format: "json" }),
    ) as RunReport;
    expect(report.run_id).toMatch(/^smoke-/);
    expect(report.items).toEqual({ total: 4, ok: 4, failed: 0, pending: 0, from_cache: 0 });
    expect(report.usage.input_tokens).toBeGreaterThan(0);
    expect(report.usage.output_tokens).toBeGreaterThan(0);
    expect(report.cost_usd).toBe(0);
    expect(report.unpriced_models).toEqual([]);
    expect(Object.keys(report.by_model)).toEqual(["mock:echo"]);
    expect(report.latency_ms.p50).not.toBeNull();
    expect(report.wall_s).not.toBeNull();
    expect(report.errors).toEqual({});
    expect(report.retries).toBe(0);
  });

  it("writes Markdown to a file named with -o", async () => {
    const { cwd, state } = await mockRun();
    const out = join(cwd, "report.md");
    expect(await reportCommand({ statePath: state, ref: "smoke", out })).toBe("");
    const markdown = readFileSync(out, "utf8");
    expect(markdown).toContain("## metasync run report: `smoke-");
    expect(markdown).toContain("| 4 | 4 | 0 | 0 | 0 |");
    expect(markdown).toContain("| `mock:echo` | 4 | 4 | 0 |");
  });

  it("runs as `metasync report` from the built binary", async () => {
    const { cwd, state } = await mockRun();
    const json = await runCli(["report", "smoke", "--state", state, "--format", "json"], { cwd });
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as RunReport).items.ok).toBe(4);

    const markdown = await runCli(["report", "smoke", "--state", state, "-o", "report.json"], { cwd });
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toBe("");
    expect((JSON.parse(readFileSync(join(cwd, "report.json"), "utf8")) as RunReport).cost_usd).toBe(0);

    const missing = await runCli(["report", "no-such-run", "--state", state], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run "no-such-run"');

    writeFileSync(join(cwd, "prices.yaml"), "openai:x: {input: 1}\n");
    const badPrices = await runCli(["report", "smoke", "--state", state, "--prices", "prices.yaml"], { cwd });
    expect(badPrices.code).toBe(2);
    expect(badPrices.stderr).toContain('prices.yaml:1: openai:x: "output" is missing');
  });
});
