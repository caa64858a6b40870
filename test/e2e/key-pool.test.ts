import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  keyFingerprint,
  type MockServer,
  type MockServerOptions,
  startMockServer,
} from "../../src/mock-server/index.js";
import { assertBuilt, type CliResult, jsonLines, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

const servers: MockServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A mock server on a free port that notes when each request it meters arrived. */
async function serve(options: MockServerOptions = {}): Promise<MockServer & { arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = await startMockServer({
    port: 0,
    ...options,
    now: () => {
      const at = Date.now();
      arrivals.push(at);
      return at;
    },
  });
  servers.push(server);
  return Object.assign(server, { arrivals });
}

interface PoolRun extends CliResult {
  results: Record<string, unknown>[];
  events: Record<string, unknown>[];
}

/** Runs `n` prompts against openai:gpt-4o-mini, results on stdout and JSON progress on stderr. */
async function runPrompts(
  prompts: number | string[],
  env: Record<string, string>,
  extra: string[] = [],
  files: Record<string, string> = {},
): Promise<PoolRun & { cwd: string }> {
  const cwd = workDir();
  const texts =
    typeof prompts === "number" ? Array.from({ length: prompts }, (_, i) => `prompt ${i}`) : prompts;
  const rows = texts.map((prompt, i) => JSON.stringify({ id: `p${i}`, prompt }));
  writeFileSync(join(cwd, "prompts.jsonl"), `${rows.join("\n")}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  const args = ["run", "prompts.jsonl", "-m", "openai:gpt-4o-mini", "--state", join(cwd, "state.db")];
  const result = await runCli([...args, "--progress", "json", ...extra], { cwd, env });
  const events = result.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...result, cwd, results: jsonLines(result.stdout), events };
}

const fp = keyFingerprint;
const ofType = (events: Record<string, unknown>[], type: string) => events.filter((e) => e.type === type);

/** Requests the server answered 200, by key fingerprint. */
function okByKey(server: MockServer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, stats] of Object.entries(server.stats().by_key))
    counts[key] = stats.status_counts["200"] ?? 0;
  return counts;
}

/**
 * Milliseconds from the first request's arrival to the last one's. How requests bunch within a second
 * is left to the unit tests in virtual time: here the server shares a process with other tests, and
 * a busy event loop takes the requests that queued meanwhile in a bunch. The span only shrinks by
 * such a stall at the very start, so it tells a paced run (~100 ms apart) from an unpaced one.
 */
function span(arrivals: readonly number[]): number {
  return Math.max(...arrivals) - Math.min(...arrivals);
}

/** Milliseconds between arrivals, for a failure's message. */
function gaps(arrivals: readonly number[]): string {
  const sorted = [...arrivals].sort((a, b) => a - b);
  return `gaps between arrivals: ${sorted.slice(1).map((at, i) => at - (sorted[i] ?? 0))}`;
}

/** The most requests that arrived within any `windowMs` (half-open: (t - windowMs, t]). */
function busiestWindow(arrivals: readonly number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (const [end, at] of sorted.entries()) {
    while ((sorted[start] ?? at) <= at - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

function expectAllOk(run: PoolRun, count: number): void {
  expect(run.code, run.stderr).toBe(0);
  expect(run.results).toHaveLength(count);
  expect(run.results.filter((r) => r.status !== "ok")).toEqual([]);
}

const openaiEnv = (server: MockServer, keys: string[]) => ({
  OPENAI_API_KEYS: keys.join(","),
  OPENAI_BASE_URL: `${server.url}/v1`,
});

describe.concurrent("the key pool, end to end", () => {
  it("spreads the work evenly over the keys of OPENAI_API_KEYS", async () => {
    const server = await serve();
    const run = await runPrompts(60, openaiEnv(server, ["k1", "k2", "k3"]));
    expectAllOk(run, 60);
    const counts = okByKey(server);
    expect(Object.keys(counts).sort()).toEqual([fp("k1"), fp("k2"), fp("k3")].sort());
    for (const count of Object.values(counts)) {
      expect(count).toBeGreaterThanOrEqual(18);
      expect(count).toBeLessThanOrEqual(22);
    }
  });

  it("follows the weights of a --keys pool file with --strategy weighted (2:1)", async () => {
    const server = await serve();
    const pool = [
      "keys:",
      "  - provider: openai",
      "    key: env:HEAVY_KEY",
      "    weight: 2",
      "  - provider: openai",
      "    key: light-key",
      "    weight: 1",
      "",
    ].join("\n");
    const run = await runPrompts(
      60,
      { HEAVY_KEY: "heavy-key", OPENAI_BASE_URL: `${server.url}/v1` },
      ["--keys", "pool.yaml", "--strategy", "weighted"],
      { "pool.yaml": pool },
    );
    expectAllOk(run, 60);
    const counts = okByKey(server);
    expect(counts[fp("heavy-key")]).toBeGreaterThanOrEqual(36);
    expect(counts[fp("heavy-key")]).toBeLessThanOrEqual(44);
    expect((counts[fp("heavy-key")] ?? 0) + (counts[fp("light-key")] ?? 0)).toBe(60);
  });

  it("sends each key to its own base_url from the pool file", async () => {
    const [east, west] = await Promise.all([serve(), serve()]);
    if (!east || !west) throw new Error("no servers");
    const pool = JSON.stringify({
      keys: [
        { provider: "openai", key: "east-key", base_url: `${east.url}/v1` },
        { provider: "openai", key: "west-key", base_url: `${west.url}/v1` },
      ],
    });
    const run = await runPrompts(20, {}, ["--keys", "pool.json"], { "pool.json": pool });
    expectAllOk(run, 20);
    expect(okByKey(east)).toEqual({ [fp("east-key")]: 10 });
    expect(okByKey(west)).toEqual({ [fp("west-key")]: 10 });
  });

  it("makes keys that share a scope share its limit: the server never sees more than the scope's share", async () => {
    const server = await serve();
    const pool = [
      "keys:",
      "  - provider: openai",
      "    key: team-key-1",
      "    scope: team",
      "    rpm: 600",
      "  - provider: openai",
      "    key: team-key-2",
      "    scope: team",
      "    rpm: 600",
      "",
    ].join("\n");
    const run = await runPrompts(40, openaiEnv(server, []), ["--keys", "pool.yaml"], { "pool.yaml": pool });
    expectAllOk(run, 40);
    expect(server.arrivals).toHaveLength(server.stats().requests);
    const counts = okByKey(server);
    expect(counts[fp("team-key-1")]).toBeGreaterThan(5);
    expect(counts[fp("team-key-2")]).toBeGreaterThan(5);
    // 600 a minute for the two keys together, 10 a second: 40 requests take ~4 s (~2 s if each key
    // had 600 of its own).
    expect(span(server.arrivals), gaps(server.arrivals)).toBeGreaterThanOrEqual(3_000);
    expect(ofType(run.events, "scope_limits")).toEqual([
      expect.objectContaining({ scope: "openai:team", rpm: 600, tpm: null }),
    ]);
  });

  it("paces to --rpm when the server sends no rate-limit headers: never a minute's budget at once", async () => {
    const server = await serve(); // no limits, so no headers: only --rpm paces
    const run = await runPrompts(40, openaiEnv(server, ["solo-key"]), ["--rpm", "600"]);
    expectAllOk(run, 40);
    expect(server.arrivals).toHaveLength(40);
    // Spread out at 10 a second, not sent at once: 40 requests take close to 4 seconds.
    expect(span(server.arrivals), gaps(server.arrivals)).toBeGreaterThanOrEqual(3_000);
    expect(ofType(run.events, "rate_limited")).toEqual([]);
  });

  it("with --rpm matching a server that enforces it per second, gets only the few 429s finding out costs", async () => {
    const server = await serve({ rpm: 600, strict: true });
    const keys = ["strict-1", "strict-2", "strict-3"];
    const run = await runPrompts(90, openaiEnv(server, keys), ["--rpm", "600"]);
    expectAllOk(run, 90);
    const stats = server.stats();
    expect(stats.status_counts["200"]).toBe(90);
    for (const key of keys) expect(stats.by_key[fp(key)]?.status_counts["200"]).toBeGreaterThan(20);
    // Finding out that the server allows no burst costs a few 429s per key, once (~5 each; ~20 each
    // if the scopes kept trying to burst).
    expect(stats.status_counts["429"] ?? 0).toBeLessThanOrEqual(30);
  });

  it("goes on when one key's server starts answering 429: rate_limited events, every item done", async () => {
    const [tight, open] = await Promise.all([serve({ rpm: 60, strict: true }), serve()]);
    if (!tight || !open) throw new Error("no servers");
    const pool = JSON.stringify({
      keys: [
        { provider: "openai", key: "tight-key", base_url: `${tight.url}/v1` },
        { provider: "openai", key: "open-key", base_url: `${open.url}/v1` },
      ],
    });
    const run = await runPrompts(30, {}, ["--keys", "pool.json"], { "pool.json": pool });
    expectAllOk(run, 30);
    expect(tight.stats().status_counts["429"]).toBeGreaterThan(0);
    const limited = ofType(run.events, "rate_limited");
    expect(limited.length).toBeGreaterThan(0);
    expect(new Set(limited.map((e) => e.key))).toEqual(new Set([fp("tight-key")]));
    // The open key took up the work the tight one could not do.
    expect(okByKey(open)[fp("open-key")]).toBeGreaterThan(okByKey(tight)[fp("tight-key")] ?? 0);
  });

  it("cools a key down after an injected 429 and sends the item again", async () => {
    const server = await serve({ faultRetryAfterMs: 200 });
    const prompts = Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? `[[fault:429x1]] p${i}` : `p${i}`));
    const run = await runPrompts(prompts, openaiEnv(server, ["k1", "k2"]));
    expectAllOk(run, 12);
    const limited = ofType(run.events, "rate_limited");
    expect(limited).toHaveLength(3);
    for (const event of limited) expect(event.retry_after_ms).toBe(200);
    const retried = run.results.filter((r) => String(r.output).startsWith("[[fault:429x1]]"));
    // Waits for the budget are counted apart from attempts.
    expect(retried.map((r) => [r.attempts, r.rate_limited_retries])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
  });

  it("disables an invalid key and a key without quota at once, and finishes with the good ones", async () => {
    const server = await serve({ invalidKeys: ["sk-revoked-0000"], quotaKeys: ["sk-broke-0000"] });
    const keys = ["sk-good-1111", "sk-revoked-0000", "sk-broke-0000", "sk-good-2222"];
    const run = await runPrompts(80, openaiEnv(server, keys));
    expectAllOk(run, 80);
    const disabled = ofType(run.events, "key_disabled");
    expect(disabled.map((e) => e.key).sort()).toEqual([fp("sk-revoked-0000"), fp("sk-broke-0000")].sort());
    const stats = server.stats().by_key;
    // A bad key gets only the requests already on their way when its first answer came back (at
    // most the concurrency, 8), not its round-robin share (20).
    expect(stats[fp("sk-revoked-0000")]?.requests).toBeLessThanOrEqual(8);
    expect(stats[fp("sk-broke-0000")]?.requests).toBeLessThanOrEqual(8);
    expect(stats[fp("sk-good-1111")]?.status_counts["200"]).toBeGreaterThan(30);
    for (const key of keys) {
      expect(run.stderr).not.toContain(key);
      expect(run.stdout).not.toContain(key);
    }
  });

  it("stops with exit 3 when no key is usable, naming keys by fingerprint, and resumes with a good one", async () => {
    const bad = ["sk-bad-aaaa", "sk-bad-bbbb"];
    const server = await serve({ invalidKeys: bad });
    const first = await runPrompts(10, openaiEnv(server, bad));
    expect(first.code, first.stderr).toBe(3);
    for (const key of bad) {
      expect(first.stderr).toContain(fp(key));
      expect(first.stderr).not.toContain(key);
      expect(first.stdout).not.toContain(key);
    }
    expect(first.results.filter((r) => r.status === "ok")).toEqual([]);

    const args = ["run", "prompts.jsonl", "-m", "openai:gpt-4o-mini", "--state", join(first.cwd, "state.db")];
    const again = await runCli(args, { cwd: first.cwd, env: openaiEnv(server, ["sk-good-cccc"]) });
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).filter((r) => r.status === "ok")).toHaveLength(10);
  });

  it("lets a self-hosted server with no limits and no --rpm/--tpm run unpaced", async () => {
    const server = await serve({ latencyMs: 20 });
    const run = await runPrompts(80, openaiEnv(server, ["local"]), ["-c", "16"]);
    expectAllOk(run, 80);
    expect(ofType(run.events, "rate_limited")).toEqual([]);
    expect(ofType(run.events, "scope_limits")).toEqual([
      expect.objectContaining({ scope: `openai:${fp("local")}`, rpm: null, tpm: null }),
    ]);
    // Nothing held the requests back: as many went together as the concurrency allows.
    expect(busiestWindow(server.arrivals, 200)).toBeGreaterThanOrEqual(8);
  });
});
