import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "redis";
import { afterEach, beforeAll, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { type RedisServer, redisInstalled, startRedisServer } from "../support/redis-server.js";
import { assertBuilt, ROOT } from "./cli.js";
import { keyFingerprint, promptsDir, providerEnv, serve } from "./mock-fixture.js";

const BIN = join(ROOT, "bin", "metasync.js");
const KEYS = ["sk-scale-out-alpha-0001", "sk-scale-out-bravo-0002", "sk-scale-out-charlie-0003"];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built binary in the background: what it printed so far, and its end. */
function start(args: string[], cwd: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { NO_COLOR: "1", PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const printed = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    printed.stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    printed.stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
  const done = new Promise<Finished>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...printed });
    });
  });
  return { child, printed, done };
}

function rows(count: number, maxTokens: number, prefix = "p"): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    prompt: `Scale-out prompt ${i}: reply briefly.`,
    max_tokens: maxTokens,
  }));
}

const resultIds = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => String((JSON.parse(line) as { id: unknown }).id));

const until = async (what: () => boolean, ms = 30_000) => {
  const started = Date.now();
  while (!what()) {
    if (Date.now() - started > ms) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Every key metasync left in Redis, with every value in it, as text. */
async function everything(redis: RedisServer): Promise<{ keys: string[]; text: string }> {
  const client = createClient({ socket: { path: redis.socket, tls: false }, RESP: 2 });
  await client.connect();
  try {
    const keys = (await client.sendCommand(["KEYS", "*"])) as string[];
    const parts: string[] = [];
    for (const key of keys) {
      const type = (await client.sendCommand(["TYPE", key])) as string;
      const dump: Record<string, string[]> = {
        hash: ["HGETALL", key],
        zset: ["ZRANGE", key, "0", "-1", "WITHSCORES"],
        stream: ["XRANGE", key, "-", "+"],
        string: ["GET", key],
        set: ["SMEMBERS", key],
        list: ["LRANGE", key, "0", "-1"],
      };
      const command = dump[type];
      parts.push(key, JSON.stringify(command ? await client.sendCommand(command) : type));
    }
    return { keys, text: parts.join("\n") };
  } finally {
    await client.close();
  }
}

describe.skipIf(!redisInstalled)("scale-out through Redis (--coordinator, --share, metasync worker)", () => {
  let redis: RedisServer;
  beforeAll(() => assertBuilt());
  beforeEach(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await redis?.close();
  });

  it("three processes share one key's limits: against a server enforcing them per second, hardly a 429", async (test: TestContext) => {
    // 60 000 tokens a minute, enforced over one-second windows: 1 000 tokens a second for the one key.
    const server = await serve(test, { tpm: 60_000, strict: true });
    const env = { ...providerEnv("openai", server, KEYS[0] as string), METASYNC_COORDINATOR: redis.url };
    const runs = [0, 1, 2].map((n) => {
      const cwd = promptsDir(rows(60, 30, `r${n}-`));
      const args = ["run", "prompts.jsonl", "-m", "openai:gpt-4o-mini", "--tpm", "60000", "-c", "8"];
      return {
        cwd,
        process: start([...args, "--state", "state.db", "-o", "out.jsonl", "--progress", "none"], cwd, env),
      };
    });
    const ended = await Promise.all(runs.map((run) => run.process.done));
    for (const [n, end] of ended.entries()) {
      expect(end.stderr).toBe("");
      expect(end.code).toBe(0);
      expect(resultIds(join(runs[n]?.cwd as string, "out.jsonl"))).toHaveLength(60);
    }
    const stats = server.stats();
    expect(stats.status_counts["200"]).toBe(180);
    // Each process alone would take the whole 60 000: together they are refused about 80 times (a
    // third of their requests; measured). Sharing the scope, a few at most: arrivals jitter by some
    // ms on a busy machine, and this server shares its process with the test runner (the 1% goal
    // is measured by bench/scale-out.mjs, against a server of its own).
    expect(stats.status_counts["429"] ?? 0).toBeLessThanOrEqual(9);
    const left = await everything(redis);
    expect(left.keys.every((key) => key.startsWith("metasync:"))).toBe(true);
    for (const key of KEYS) expect(left.text).not.toContain(key);
    expect(left.text).not.toContain("scale-out-alpha");
  }, 90_000);

  it("a worker killed with kill -9 loses its items to the others within 30 s; each item is recorded once", async (test: TestContext) => {
    const server = await serve(test, { latencyMs: 400 });
    const env = providerEnv("openai", server, KEYS);
    const cwd = promptsDir(rows(40, 10));
    const coordinator = ["--coordinator", redis.url];
    const doomed = start(["worker", ...coordinator, "-c", "6", "--progress", "none"], cwd, env);
    const owner = start(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "openai:gpt-4o-mini",
        "--state",
        "state.db",
        "-o",
        "out.jsonl",
        "-c",
        "1",
        "--progress",
        "none",
        ...coordinator,
        "--share",
      ],
      cwd,
      env,
    );
    // The doomed worker has items in flight: the server has answered some of its requests.
    await until(() => server.stats().requests >= 8);
    doomed.child.kill("SIGKILL");
    const killedAt = Date.now();
    const helper = start(["worker", ...coordinator, "-c", "6", "--once", "--progress", "none"], cwd, env);
    const end = await owner.done;
    const finishedAfterMs = Date.now() - killedAt;
    expect(end.stderr).toBe("");
    expect(end.code).toBe(0);
    expect((await helper.done).code).toBe(0);
    const ids = resultIds(join(cwd, "out.jsonl"));
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    // Reclaimed after 15 s without a renewed lease; the rest of the items take a few seconds more.
    expect(finishedAfterMs).toBeLessThan(30_000);
    // Sent twice only if its worker died with it in flight (six at most, here).
    const answered = server.stats().status_counts["200"] ?? 0;
    expect(answered).toBeGreaterThanOrEqual(40);
    expect(answered).toBeLessThanOrEqual(46);
    // The finished run's keys are gone; what is left (limit scopes) holds no key material.
    const left = await everything(redis);
    expect(left.keys.filter((key) => key.includes("{run:"))).toEqual([]);
    for (const key of KEYS) expect(left.text).not.toContain(key);
  }, 90_000);

  it("Redis stopped mid-run: nothing more is sent, the run says so and stops (exit 3); rerun once it is back, it finishes", async (test: TestContext) => {
    // 12 000 tokens a minute: 200 a second, about 6 requests of 31 tokens; 60 items take 10 s.
    const server = await serve(test, { tpm: 12_000, strict: true });
    const env = providerEnv("openai", server, KEYS[0] as string);
    const cwd = promptsDir(rows(60, 20));
    const args = [
      "run",
      "prompts.jsonl",
      "-m",
      "openai:gpt-4o-mini",
      "--tpm",
      "12000",
      "-c",
      "4",
      "--state",
      "state.db",
      "-o",
      "out.jsonl",
      "--progress",
      "plain",
      "--coordinator",
      redis.url,
      "--coordinator-timeout",
      "3",
    ];
    const run = start(args, cwd, env);
    await until(() => server.stats().requests >= 5);
    await redis.stop();
    const atStop = server.stats().requests;
    const end = await run.done;
    expect(end.code).toBe(3);
    expect(end.stderr).toContain(`coordinator ${redis.url} is unreachable: nothing is sent until it is back`);
    expect(end.stderr).toMatch(/unreachable for 3 s: stopped with nothing sent unmetered/);
    // What was in flight when Redis went (at most -c 4) was answered; nothing was admitted after.
    expect(server.stats().requests - atStop).toBeLessThanOrEqual(4);
    const sent = server.stats().requests;
    expect(sent).toBeLessThan(60);

    await redis.start();
    const rerun = start(args, cwd, env);
    const again = await rerun.done;
    expect(again.code).toBe(0);
    expect(new Set(resultIds(join(cwd, "out.jsonl"))).size).toBe(60);
    expect(server.stats().status_counts["200"]).toBe(60);
  }, 90_000);

  it("a key one process found dead is not tried again by another on the same coordinator", async (test: TestContext) => {
    const [dead, good] = KEYS as [string, string];
    const server = await serve(test, { invalidKeys: [dead] });
    const env = { ...providerEnv("openai", server, [dead, good]), METASYNC_COORDINATOR: redis.url };
    const args = [
      "run",
      "prompts.jsonl",
      "-m",
      "openai:gpt-4o-mini",
      "--state",
      "state.db",
      "--progress",
      "none",
    ];
    const first = await start(args, promptsDir(rows(6, 10, "a")), env).done;
    expect(first.code).toBe(0);
    const refusedFirst = server.stats().by_key[keyFingerprint(dead)]?.requests ?? 0;
    expect(refusedFirst).toBeGreaterThan(0);
    const second = await start(args, promptsDir(rows(6, 10, "b")), env).done;
    expect(second.code).toBe(0);
    expect(server.stats().by_key[keyFingerprint(dead)]?.requests).toBe(refusedFirst);
    const left = await everything(redis);
    expect(left.text).toContain(keyFingerprint(dead));
    expect(left.text).not.toContain(dead);
  });

  it("waits for a coordinator that is not there, says so, and exits 3 after --coordinator-timeout with nothing sent", async (test: TestContext) => {
    const server = await serve(test);
    const cwd = promptsDir(rows(3, 10));
    await redis.stop();
    const run = start(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "openai:gpt-4o-mini",
        "--state",
        "state.db",
        "--progress",
        "plain",
        "--coordinator",
        redis.url,
        "--coordinator-timeout",
        "1",
      ],
      cwd,
      providerEnv("openai", server, KEYS[0] as string),
    );
    const end = await run.done;
    expect(end.code).toBe(3);
    expect(end.stderr).toContain("is unreachable: nothing is sent until it is back");
    expect(server.stats().requests).toBe(0);
  });
});
