#!/usr/bin/env node
// Scale-out through Redis (issue 18). Needs a build (npm run build) and redis-server on PATH.
// Usage: node bench/scale-out.mjs [shared|single|all] [items per process]
//
// shared : three processes sharing one three-key pool at 60k TPM per key against
//          `metasync mock-server --strict` (one-second windows): combined wall time against the
//          ideal for the pooled budget (tokens charged ÷ 180k TPM) and the share of requests
//          answered 429, with --coordinator and, beside it, without; coordination overhead per
//          request: Redis round trips and Redis CPU (INFO commandstats), and metasync's own CPU.
// single : bench/budgets.mjs's `strict` scenario (3 keys at 400k TPM / 4k RPM, one-second windows,
//          6 000 items, -c 64) in one process, without and with --coordinator: wall time of each.
//
// Every run gets a fresh mock-server process and a fresh redis-server on a unix socket.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMockServer } from "./mock-server-process.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "bin/metasync.js");
const MAX_TOKENS = 100;
const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function prompts(dir, name, count, offset = 0) {
  const path = join(dir, name);
  const lines = [];
  for (let i = offset; i < offset + count; i++) {
    lines.push(
      JSON.stringify({
        id: `p${i}`,
        prompt: `Benchmark prompt number ${i}: reply briefly.`,
        max_tokens: MAX_TOKENS,
      }),
    );
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "metasync-bench-redis-"));
  const socket = join(dir, "redis.sock");
  const child = spawn(
    "redis-server",
    ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no", "--dir", dir],
    {
      stdio: "ignore",
    },
  );
  const cli = (...args) =>
    spawnSync("redis-cli", ["-s", socket, ...args], { encoding: "utf8" }).stdout.trim();
  for (let i = 0; i < 200 && cli("PING") !== "PONG"; i++) await new Promise((r) => setTimeout(r, 25));
  return {
    url: `unix://${socket}`,
    cli,
    /**
     * Round trips and Redis CPU µs since the last reset: the limiter's calls are scripts (EVALSHA,
     * EVAL; their usec includes the commands they run); a failure's ZREM is the only other, and the
     * commands a script runs are counted apart, so only scripts are counted here.
     */
    commandStats: () => {
      let calls = 0;
      let usec = 0;
      for (const line of cli("INFO", "commandstats").split("\n")) {
        const m = /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(line);
        if (m && (m[1] === "evalsha" || m[1] === "eval")) {
          calls += Number(m[2]);
          usec += Number(m[3]);
        }
      }
      return { calls, usec };
    },
    close: async () => {
      child.kill();
      await once(child, "exit");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One `metasync run`, with its user+system CPU seconds (from /usr/bin/time) when it can be had. */
function runProcess(args, env) {
  const command = timeBin
    ? [timeBin, "-f", "cpu %U %S", process.execPath, bin, ...args]
    : [process.execPath, bin, ...args];
  const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return once(child, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`metasync exited ${code}: ${stderr}`);
    const m = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
    return { cpuS: m ? Number(m[1]) + Number(m[2]) : undefined };
  });
}

function runArgs(input, dir, n, limits, concurrency, coordinator) {
  return [
    "run",
    input,
    "-m",
    "openai:gpt-4o-mini",
    "-o",
    join(dir, `out${n}.jsonl`),
    "--state",
    join(dir, `state${n}.db`),
    "-c",
    String(concurrency),
    "--tpm",
    String(limits.tpm),
    "--rpm",
    String(limits.rpm),
    "--progress",
    "none",
    ...(coordinator ? ["--coordinator", coordinator] : []),
  ];
}

async function measure(label, processes, items, limits, keys, concurrency, withCoordinator) {
  const server = await startMockServer({ ...limits, strict: true, latencyMs: 40 });
  const redis = withCoordinator ? await startRedis() : undefined;
  const dir = mkdtempSync(join(tmpdir(), "metasync-scale-out-"));
  try {
    const env = {
      PATH: process.env.PATH,
      OPENAI_API_KEYS: keys.join(","),
      OPENAI_BASE_URL: `${server.url}/v1`,
    };
    redis?.cli("CONFIG", "RESETSTAT");
    const started = performance.now();
    const runs = await Promise.all(
      Array.from({ length: processes }, (_, n) =>
        runProcess(
          runArgs(prompts(dir, `in${n}.jsonl`, items, n * items), dir, n, limits, concurrency, redis?.url),
          env,
        ),
      ),
    );
    const wallS = (performance.now() - started) / 1000;
    const stats = await server.stats();
    const ok = stats.status_counts["200"] ?? 0;
    const limited = stats.status_counts["429"] ?? 0;
    const inputTokens = Object.values(stats.by_key).reduce((s, k) => s + k.input_tokens, 0);
    const charged = inputTokens + ok * MAX_TOKENS;
    const ideal = Math.max(charged / (keys.length * limits.tpm), ok / (keys.length * limits.rpm)) * 60;
    const cpu = runs.every((r) => r.cpuS !== undefined) ? runs.reduce((s, r) => s + r.cpuS, 0) : undefined;
    const redisStats = redis?.commandStats();
    console.log(
      `${label}: ${ok} answered in ${wallS.toFixed(2)} s; ideal ${ideal.toFixed(2)} s → ${(wallS / ideal).toFixed(3)}× ideal; ` +
        `429s ${limited}/${stats.requests} = ${((100 * limited) / stats.requests).toFixed(2)}%` +
        (cpu === undefined ? "" : `; metasync CPU ${((1000 * cpu) / ok).toFixed(2)} ms/request`) +
        (redisStats
          ? `; Redis ${(redisStats.calls / stats.requests).toFixed(2)} round trips/request, ${(redisStats.usec / stats.requests).toFixed(1)} µs Redis CPU/request`
          : ""),
    );
    return { wallS, ideal, ok, limited, cpu };
  } finally {
    await server.close();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function shared(items) {
  const limits = { tpm: 60_000, rpm: 6_000 };
  const keys = ["sk-bench-0", "sk-bench-1", "sk-bench-2"];
  console.log(`three processes × ${items} items, one pool of 3 keys at 60k TPM each (strict), -c 32 each:`);
  const on = await measure("  with --coordinator   ", 3, items, limits, keys, 32, true);
  const off = await measure("  without coordinator  ", 3, items, limits, keys, 32, false);
  if (on.cpu !== undefined && off.cpu !== undefined) {
    console.log(
      `  coordination overhead: ${(1000 * (on.cpu / on.ok - off.cpu / off.ok)).toFixed(2)} ms metasync CPU per request (with − without)`,
    );
  }
}

async function single() {
  const limits = { tpm: 400_000, rpm: 4_000 };
  const keys = ["sk-bench-0", "sk-bench-1", "sk-bench-2"];
  console.log(
    "one process, bench/budgets.mjs strict (3 keys at 400k TPM / 4k RPM, strict, 6 000 items, -c 64):",
  );
  const off = await measure("  without coordinator  ", 1, 6000, limits, keys, 64, false);
  const on = await measure("  with --coordinator   ", 1, 6000, limits, keys, 64, true);
  console.log(`  with/without wall time: ${(on.wallS / off.wallS).toFixed(3)} (goal ≤ 1.10)`);
}

const which = process.argv[2] ?? "all";
const items = Number(process.argv[3] ?? 300);
if (which === "shared" || which === "all") await shared(items);
if (which === "single" || which === "all") await single();
