#!/usr/bin/env node
// Budgets and the key pool against `metasync mock-server` with enforced limits (issue 5).
// Needs a build (npm run build). Usage: node bench/budgets.mjs [strict|lenient|scaling|all]
//
// strict  : limits enforced over 1-second windows, 3 keys. Reports wall time against the ideal
//           (tokens charged ÷ pooled TPM), the share of requests answered 429, and each key's share.
// lenient : limits over a sliding minute (a minute's burst allowed), 1 key: metasync against a port
//           of the OpenAI cookbook's api_request_parallel_processor algorithm on the same server.
// scaling : strict server, K = 1, 2, 4, 8 keys: throughput against K × the single-key throughput.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { startMockServer } = await import(join(root, "dist/src/mock-server/index.js"));
const bin = join(root, "bin/metasync.js");
const MAX_TOKENS = 100;

function prompts(dir, count) {
  const path = join(dir, "in.jsonl");
  const lines = [];
  for (let i = 0; i < count; i++) {
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

async function runMetasync(server, keys, input, dir, limits, concurrency = 64) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      input,
      "-m",
      "openai:gpt-4o-mini",
      "-c",
      String(concurrency),
      "-o",
      join(dir, "out.jsonl"),
      "--state",
      join(dir, "state.db"),
      "--tpm",
      String(limits.tpm),
      "--rpm",
      String(limits.rpm),
      "--fresh",
      "--progress",
      process.env.PROGRESS ?? "none",
    ],
    {
      env: {
        PATH: process.env.PATH,
        OPENAI_API_KEYS: keys.join(","),
        OPENAI_BASE_URL: `${server.url}/v1`,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`metasync exited ${code}: ${stderr}`);
  // PROGRESS=json keeps the run's events (rate_limited …) in bench/out/ for a closer look.
  if (process.env.PROGRESS) {
    mkdirSync(join(root, "bench/out"), { recursive: true });
    writeFileSync(join(root, "bench/out/progress.jsonl"), stderr);
  }
  return (performance.now() - started) / 1000;
}

function summarize(label, server, wallS, limits, keys) {
  const stats = server.stats();
  const ok = stats.status_counts["200"] ?? 0;
  const limited = stats.status_counts["429"] ?? 0;
  const inputTokens = Object.values(stats.by_key).reduce((s, k) => s + k.input_tokens, 0);
  const charged = inputTokens + ok * MAX_TOKENS;
  const ideal = Math.max(charged / (keys.length * limits.tpm), ok / (keys.length * limits.rpm)) * 60;
  const shares = Object.values(stats.by_key).map((k) => (k.status_counts["200"] ?? 0) / (ok / keys.length));
  const worst = Math.max(...shares.map((s) => Math.abs(1 - s)));
  console.log(
    `${label}: ${ok} answered in ${wallS.toFixed(2)} s; ideal ${ideal.toFixed(2)} s → ${(wallS / ideal).toFixed(3)}× ideal; ` +
      `429s ${limited}/${stats.requests} = ${((100 * limited) / stats.requests).toFixed(2)}%; ` +
      `key shares ${shares.map((s) => s.toFixed(3)).join(" / ")} (worst ${(100 * worst).toFixed(1)}% off fair)`,
  );
  return { wallS, ideal, ok };
}

async function strict(keysCount = 3, items = 6000, label = "strict") {
  const limits = { tpm: 400_000, rpm: 4_000 };
  const server = await startMockServer({ ...limits, strict: true, latencyMs: 40 });
  const dir = mkdtempSync(join(tmpdir(), "metasync-budgets-"));
  try {
    const keys = Array.from({ length: keysCount }, (_, i) => `sk-bench-${i}`);
    const wall = await runMetasync(server, keys, prompts(dir, items), dir, limits);
    return summarize(`${label} (${keysCount} key${keysCount > 1 ? "s" : ""})`, server, wall, limits, keys);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cookbook's algorithm: full-minute buckets refilled continuously, 15 s pause after a 429. */
async function cookbook(url, key, count, limits) {
  let requestCapacity = limits.rpm;
  let tokenCapacity = limits.tpm;
  let last = performance.now();
  let pauseUntil = 0;
  const queue = Array.from({ length: count }, (_, i) => ({ i, attempts: 5 }));
  const inFlight = new Set();
  let done = 0;
  let failed = 0;
  const started = performance.now();
  while (queue.length > 0 || inFlight.size > 0) {
    const now = performance.now();
    requestCapacity = Math.min(limits.rpm, requestCapacity + (limits.rpm * (now - last)) / 60_000);
    tokenCapacity = Math.min(limits.tpm, tokenCapacity + (limits.tpm * (now - last)) / 60_000);
    last = now;
    const job = queue[0];
    const prompt = `Benchmark prompt number ${job?.i}: reply briefly.`;
    const cost = Math.ceil(prompt.length / 4) + 7 + MAX_TOKENS;
    if (job && now >= pauseUntil && requestCapacity >= 1 && tokenCapacity >= cost) {
      queue.shift();
      requestCapacity -= 1;
      tokenCapacity -= cost;
      const request = fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: prompt }],
          max_tokens: MAX_TOKENS,
        }),
      }).then(async (response) => {
        await response.text();
        if (response.status === 429) {
          pauseUntil = performance.now() + 15_000;
          if (--job.attempts > 0) queue.push(job);
          else failed++;
        } else done++;
      });
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
    } else {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  return { wallS: (performance.now() - started) / 1000, done, failed };
}

async function lenient(items = 4000) {
  const limits = { tpm: 600_000, rpm: 6_000 };
  const dir = mkdtempSync(join(tmpdir(), "metasync-budgets-"));
  try {
    let server = await startMockServer({ ...limits, latencyMs: 40 });
    // The cookbook script keeps no bound on requests in flight; metasync gets a generous one.
    const ours = await runMetasync(server, ["sk-lenient"], prompts(dir, items), dir, limits, 64);
    summarize("lenient metasync", server, ours, limits, ["sk-lenient"]);
    await server.close();
    server = await startMockServer({ ...limits, latencyMs: 40 });
    const theirs = await cookbook(server.url, "sk-lenient", items, limits);
    const stats = server.stats();
    console.log(
      `lenient cookbook: ${theirs.done} answered in ${theirs.wallS.toFixed(2)} s (${theirs.failed} lost); 429s ${stats.status_counts["429"] ?? 0}/${stats.requests}`,
    );
    console.log(`lenient: metasync ${ours.toFixed(2)} s vs cookbook ${theirs.wallS.toFixed(2)} s`);
    await server.close();
    // The strict server, cookbook algorithm: what issue 5 measured (requests refused, items lost).
    server = await startMockServer({ tpm: 60_000, rpm: 600, strict: true, latencyMs: 40 });
    const strictRun = await cookbook(server.url, "sk-c", 150, { tpm: 60_000, rpm: 600 });
    const strictStats = server.stats();
    console.log(
      `strict cookbook (150 items, 1 key): ${strictRun.done} answered, ${strictRun.failed} lost, 429s ${strictStats.status_counts["429"] ?? 0}/${strictStats.requests}, ${strictRun.wallS.toFixed(1)} s`,
    );
    await server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scaling() {
  const results = [];
  for (const k of [1, 2, 4, 8]) results.push({ k, ...(await strict(k, 1000 * k, "scaling")) });
  const base = results[0].ok / results[0].wallS;
  for (const { k, ok, wallS } of results) {
    const rate = ok / wallS;
    console.log(
      `scaling K=${k}: ${rate.toFixed(1)} items/s = ${(rate / base).toFixed(2)}× single key (goal ≥ ${(0.95 * k).toFixed(2)}×)`,
    );
  }
}

const which = process.argv[2] ?? "all";
if (which === "strict" || which === "all") await strict();
if (which === "lenient" || which === "all") await lenient();
if (which === "scaling" || which === "all") await scaling();
