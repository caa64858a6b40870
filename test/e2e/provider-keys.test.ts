import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./cli.js";
import { keyFingerprint, promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const MODELS = { openai: "openai:gpt-4o-mini", anthropic: "anthropic:claude-haiku-4-5" } as const;
const GOOD = "sk-test-good-key-0123456789abcdef";
const BAD = "sk-test-bad-key-fedcba9876543210";
const OTHER_BAD = "sk-test-other-bad-key-5555555555";

const rows = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `q${i + 1}`, prompt: `question number ${i + 1}` }));

describe.concurrent("a key the provider refuses", () => {
  it.for([
    { provider: "openai" as const, server: "invalidKeys" as const, reason: /disabled: rejected/ },
    { provider: "anthropic" as const, server: "invalidKeys" as const, reason: /disabled: rejected/ },
    { provider: "openai" as const, server: "quotaKeys" as const, reason: /disabled: quota exhausted/ },
    { provider: "anthropic" as const, server: "quotaKeys" as const, reason: /disabled: quota exhausted/ },
  ])(
    "$provider, one key of two in $server: disabled at once, named by fingerprint, the other answers all",
    async ({ provider, server: refusal, reason }, test) => {
      const server = await serve(test, { [refusal]: [BAD] });
      const concurrency = 2;
      const cwd = promptsDir(rows(6));
      const run = await runPrompts(
        cwd,
        ["-m", MODELS[provider], "-c", String(concurrency), "--progress", "plain", "--report", "report.json"],
        providerEnv(provider, server, [GOOD, BAD]),
      );
      expect(run.code, run.stderr).toBe(0);
      expect(Object.values(run.results)).toHaveLength(6);
      for (const result of Object.values(run.results)) {
        expect(result).toMatchObject({ status: "ok", model: MODELS[provider], error: null });
      }
      const bad = keyFingerprint(BAD);
      expect(run.stderr).toMatch(new RegExp(`key ${bad} \\(${provider}\\) ${reason.source}`));
      // Announced once, and the key itself is never printed.
      expect(run.stderr.split(`key ${bad} (${provider}) disabled`)).toHaveLength(2);
      expect(run.stdout + run.stderr).not.toContain(BAD);
      expect(run.stdout + run.stderr).not.toContain(GOOD);
      // Never retried: at most the requests already in flight when the first refusal came back.
      const stats = server.stats();
      const refused = stats.by_key[bad];
      expect(refused?.requests).toBeGreaterThanOrEqual(1);
      expect(refused?.requests).toBeLessThanOrEqual(concurrency);
      expect(Object.keys(refused?.status_counts ?? {})).toHaveLength(1);
      expect(stats.by_key[keyFingerprint(GOOD)]?.status_counts).toEqual({ "200": 6 });
      // The report names each key's health by fingerprint.
      const report = JSON.parse(readFileSync(join(cwd, "report.json"), "utf8"));
      expect(report.keys[bad]).toMatchObject({ provider, state: "disabled", successes: 0 });
      expect(report.keys[bad].reason).toMatch(reason.source.replace("disabled: ", ""));
      expect(report.keys[keyFingerprint(GOOD)]).toMatchObject({
        state: "active",
        successes: 6,
        success_rate: 1,
      });
      expect(report.keys[keyFingerprint(GOOD)].latency_ema_ms).toBeGreaterThanOrEqual(0);
    },
  );
});

describe.concurrent("no usable key left", () => {
  it.for([
    { provider: "openai" as const, refusal: "invalidKeys" as const },
    { provider: "anthropic" as const, refusal: "quotaKeys" as const },
  ])(
    "$provider, every key in $refusal: exit 3 naming the keys by fingerprint; a rerun with a good key resumes",
    async ({ provider, refusal }, test) => {
      const server = await serve(test, { [refusal]: [BAD, OTHER_BAD] });
      const cwd = promptsDir(rows(4));
      const args = ["-m", MODELS[provider], "-c", "2", "--progress", "plain"];
      const stopped = await runPrompts(cwd, args, providerEnv(provider, server, [BAD, OTHER_BAD]));
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(stopped.stderr).toMatch(new RegExp(`no usable ${provider} key left`));
      for (const key of [BAD, OTHER_BAD]) {
        expect(stopped.stderr).toContain(`key ${keyFingerprint(key)}`);
        expect(stopped.stdout + stopped.stderr).not.toContain(key);
      }
      expect(stopped.stderr).toMatch(/stopped: 4 items · 0 ok · 0 failed · 4 pending/);
      // Nothing was answered, and no item was recorded as failed for a bad key.
      expect(Object.values(stopped.results).filter((r) => r.status !== "pending")).toEqual([]);
      const refused = server.stats().requests;
      expect(refused).toBeGreaterThanOrEqual(2);
      expect(refused).toBeLessThanOrEqual(4);

      const resumed = await runPrompts(cwd, args, providerEnv(provider, server, GOOD));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/resuming run/);
      expect(Object.keys(resumed.results).sort()).toEqual(["q1", "q2", "q3", "q4"]);
      for (const result of Object.values(resumed.results)) expect(result).toMatchObject({ status: "ok" });
      expect(server.stats().by_key[keyFingerprint(GOOD)]?.status_counts).toEqual({ "200": 4 });
    },
  );
});
