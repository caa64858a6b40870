import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";
import { chatPromptTokens, dollars, listPrice, mockServer, roundsTo } from "./cost-support.js";

beforeAll(assertBuilt);

const PROMPTS = Array.from(
  { length: 6 },
  (_, i) => `Describe the number ${i + 1} in ${i + 2} short sentences.`,
);
const MAX_TOKENS = 100;

function writePrompts(cwd: string): void {
  const rows = PROMPTS.map((prompt, i) => JSON.stringify({ id: `d${i + 1}`, prompt }));
  writeFileSync(join(cwd, "in.jsonl"), `${rows.join("\n")}\n`);
}

/** `45s`, `7m 30s`, `2h 5m` back to seconds. */
function secondsOf(text: string): number {
  const unit = { h: 3600, m: 60, s: 1 } as Record<string, number>;
  return [...text.matchAll(/(\d+)([hms])/g)].reduce(
    (sum, [, n, u]) => sum + Number(n) * (unit[u ?? ""] ?? 0),
    0,
  );
}

/** `expected duration ≈ 7m 30s, paced by tpm` → seconds and bound. */
function durationOf(stderr: string): { seconds: number; bound: string } | undefined {
  const match = /expected duration ≈ ([\dhms ]+), paced by (\w+)/.exec(stderr);
  return match ? { seconds: secondsOf(match[1] ?? ""), bound: match[2] ?? "" } : undefined;
}

describe.concurrent("run --dry-run", () => {
  it("estimates requests, prompt tokens, cost and duration, and sends and stores nothing", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      writePrompts(cwd);
      const common = ["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--max-tokens", String(MAX_TOKENS)];
      const outputs = ["--state", "st.db", "-o", "out.jsonl", "--report", "r.json", "--dry-run"];
      const dry = await runCli([...common, ...outputs, "--rpm", "3", "--tpm", "1000000"], { cwd, env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toBe("");

      const promptTokens = PROMPTS.reduce((sum, prompt) => sum + chatPromptTokens(prompt), 0);
      expect(dry.stderr).toContain(`6 requests, ${promptTokens} prompt tokens`);

      // min = prompt only; expected = prompt + half of each cap; max = prompt + every cap.
      const price = listPrice("openai:gpt-4o-mini");
      const outputCap = 6 * MAX_TOKENS;
      const want = {
        min: (promptTokens * price.input) / 1e6,
        expected: (promptTokens * price.input + outputCap * 0.5 * price.output) / 1e6,
        max: (promptTokens * price.input + outputCap * price.output) / 1e6,
      };
      const total = dry.stderr.split("\n").find((line) => /^metasync: total\b/.test(line)) ?? "";
      expect(total, dry.stderr).toMatch(new RegExp(`\\b6\\s+${promptTokens}\\s+${outputCap}\\s`));
      const [min = 0, expected = 0, max = 0] = dollars(total);
      expect(dollars(total), total).toHaveLength(3);
      expect(min).toBeLessThanOrEqual(expected);
      expect(expected).toBeLessThanOrEqual(max);
      expect(roundsTo(min, want.min), `${total} vs ${JSON.stringify(want)}`).toBe(true);
      expect(roundsTo(expected, want.expected), `${total} vs ${JSON.stringify(want)}`).toBe(true);
      expect(roundsTo(max, want.max), `${total} vs ${JSON.stringify(want)}`).toBe(true);

      // 6 requests at 3 a minute: two minutes, the request budget sets the pace.
      expect(durationOf(dry.stderr), dry.stderr).toEqual({ seconds: 120, bound: "rpm" });

      // Under a tight token budget, tokens set it: (prompt + every max_tokens) ÷ 500 a minute.
      const tight = await runCli([...common, ...outputs, "--tpm", "500"], { cwd, env });
      expect(tight.code, tight.stderr).toBe(0);
      const duration = durationOf(tight.stderr);
      expect(duration?.bound, tight.stderr).toBe("tpm");
      expect(
        Math.abs((duration?.seconds ?? 0) - ((promptTokens + outputCap) / 500) * 60),
        tight.stderr,
      ).toBeLessThanOrEqual(1);

      // Nothing was sent, written or recorded.
      expect(server.stats().requests).toBe(0);
      expect(readdirSync(cwd).sort()).toEqual(["fixtures", "in.jsonl", "recipes"]);
      const runs = await runCli(["runs", "--state", "st.db"], { cwd });
      if (existsSync(join(cwd, "st.db"))) expect(runs.stdout).toBe("no runs yet\n");
      else expect(runs.stderr).toMatch(/no state database/);
    } finally {
      await server.close();
    }
  });

  it("shows an unpriced model's cost as unknown, never $0", async () => {
    const cwd = workDir();
    writePrompts(cwd);
    const env = { OPENAI_API_KEY: "sk-cost-test" };
    const dry = await runCli(["run", "in.jsonl", "-m", "openai:my-local-model", "--dry-run"], { cwd, env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/cost unknown for openai:my-local-model.*--prices/);
    expect(dry.stderr).toMatch(/^metasync: openai:my-local-model .*unknown \(no price\)$/m);
    expect(dry.stderr).toMatch(/^metasync: total .*unknown/m);
    expect(dollars(dry.stderr)).toEqual([]);

    // With a priced model beside it, the total is the priced part plus an unknown one.
    const mixed = [
      JSON.stringify({ id: "a", prompt: "hello there", model: "openai:gpt-4o-mini" }),
      JSON.stringify({ id: "b", prompt: "hello again" }),
    ];
    writeFileSync(join(cwd, "mixed.jsonl"), `${mixed.join("\n")}\n`);
    const both = await runCli(
      ["run", "mixed.jsonl", "-m", "openai:my-local-model", "--max-tokens", "10", "--dry-run"],
      { cwd, env },
    );
    expect(both.code, both.stderr).toBe(0);
    const total = both.stderr.split("\n").find((line) => /^metasync: total\b/.test(line)) ?? "";
    expect(total, both.stderr).toMatch(/\$\S+ \/ \$\S+ \/ \$\S+ \+ unknown$/);
  });

  it("rejects bad input with exit 2, as a real run does, before sending anything", async () => {
    const cwd = workDir();
    const { server, env } = await mockServer();
    try {
      writeFileSync(
        join(cwd, "bad.jsonl"),
        '{"id":"a","prompt":"fine"}\n{"id":"b","prompt":""}\n{"id":"c","prompt":\n{"id":"a","prompt":"again"}\n',
      );
      const args = ["run", "bad.jsonl", "-m", "openai:gpt-4o-mini", "--state", "st.db", "-o", "out.jsonl"];
      const dry = await runCli([...args, "--dry-run"], { cwd, env });
      const real = await runCli(args, { cwd, env });
      expect(real.code, real.stderr).toBe(2);
      expect(dry.code, dry.stderr).toBe(2);
      for (const line of [2, 3, 4]) expect(dry.stderr).toContain(`bad.jsonl:${line}:`);
      // The same problems, said the same way.
      const problems = (text: string) => text.split("\n").filter((l) => l.includes("bad.jsonl:"));
      expect(problems(dry.stderr)).toEqual(problems(real.stderr));
      expect(dry.stderr).not.toContain("dry run: nothing sent.");
      expect(server.stats().requests).toBe(0);
      expect(existsSync(join(cwd, "out.jsonl"))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("counts keys that share a scope as one budget, as the key pool does", async () => {
    const cwd = workDir();
    writePrompts(cwd);
    const pool = (scope: string) =>
      `keys:\n  - {provider: openai, key: k1, rpm: 3${scope}}\n  - {provider: openai, key: k2, rpm: 3${scope}}\n`;
    writeFileSync(join(cwd, "shared.yaml"), pool(", scope: team"));
    writeFileSync(join(cwd, "apart.yaml"), pool(""));
    const args = ["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--max-tokens", "10", "--dry-run"];
    const shared = await runCli([...args, "--keys", "shared.yaml"], { cwd });
    const apart = await runCli([...args, "--keys", "apart.yaml"], { cwd });
    expect(shared.code, shared.stderr).toBe(0);
    expect(apart.code, apart.stderr).toBe(0);
    // 6 requests at 3 a minute on one shared scope: two minutes; on two scopes of their own: one.
    expect(durationOf(shared.stderr), shared.stderr).toEqual({ seconds: 120, bound: "rpm" });
    expect(durationOf(apart.stderr), apart.stderr).toEqual({ seconds: 60, bound: "rpm" });
  });
});
