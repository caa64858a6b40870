#!/usr/bin/env node
// Budgets and the key pool against `metasync mock-server` with enforced limits (issue 5).
// Needs a build (npm run build).
// Usage: node bench/budgets.mjs [strict|eval-strict|lenient|strict-cookbook|scaling|all]
//
// strict  : limits enforced over 1-second windows, 3 keys. Reports wall time against the ideal
//           (tokens charged ÷ pooled TPM), the share of requests answered 429, and each key's share.
// lenient : limits over a sliding minute (a minute's burst allowed), 1 key: metasync against the
//           OpenAI cookbook's api_request_parallel_processor (ported in bench/cookbook.mjs) on the
//           same server, three rounds each, taking turns to go first.
// strict-cookbook : the cookbook's algorithm on the strict server (150 items, 1 key).
// scaling : strict server, K = 1, 2, 4, 8 keys: throughput against K × the single-key throughput.
//
// Every run gets a fresh `metasync mock-server` process of its own, as a provider would be: no
// contender finds a server already warmed up by another, and none shares a process with it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMockServer } from "./mock-server-process.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "bin/metasync.js");
const MAX_TOKENS = 100;

const promptText = (i) => `Benchmark prompt number ${i}: reply briefly.`;

function prompts(dir, count) {
  const path = join(dir, "in.jsonl");
  const lines = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        id: `p${i}`,
        prompt: promptText(i),
        max_tokens: MAX_TOKENS,
      }),
    );
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function runMetasync(
  server,
  keys,
  input,
  dir,
  limits,
  concurrency = 64,
  command = runCommand(input, dir),
) {
  for (const file of ["state.db", "state.db-wal", "state.db-shm"]) rmSync(join(dir, file), { force: true });
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      ...command,
      "-c",
      process.env.CONCURRENCY ?? String(concurrency),
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

/** `metasync run` on the prompts file. */
function runCommand(input, dir) {
  return ["run", input, "-m", "openai:gpt-4o-mini", "-o", join(dir, "out.jsonl")];
}

/**
 * `metasync eval` on the same prompts: a promptfoo config whose tests are the prompts (a CSV, one
 * test a row) with a deterministic assertion, one provider with the same max_tokens.
 */
function evalCommand(dir, count) {
  const rows = Array.from({ length: count }, (_, i) => `"${promptText(i)}"`);
  writeFileSync(
    join(dir, "tests.csv"),
    `prompt,__expected\n${rows.map((r) => `${r},contains:number`).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "promptfooconfig.yaml"),
    `prompts: ["{{ prompt }}"]\nproviders:\n  - id: openai:chat:gpt-4o-mini\n    config: {max_tokens: ${MAX_TOKENS}}\ntests: file://tests.csv\n`,
  );
  return ["eval", join(dir, "promptfooconfig.yaml"), "-o", join(dir, "rows.jsonl")];
}

async function summarize(label, server, wallS, limits, keys) {
  const stats = await server.stats();
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

async function strict(keysCount = 3, items = 6000, label = "strict", viaEval = false) {
  const limits = { tpm: 400_000, rpm: 4_000 };
  const server = await startMockServer({ ...limits, strict: true, latencyMs: 40 });
  const dir = mkdtempSync(join(tmpdir(), "metasync-budgets-"));
  try {
    const keys = Array.from({ length: keysCount }, (_, i) => `sk-bench-${i}`);
    const input = prompts(dir, items);
    const command = viaEval ? evalCommand(dir, items) : runCommand(input, dir);
    const wall = await runMetasync(server, keys, input, dir, limits, 64, command);
    return await summarize(
      `${label} (${keysCount} key${keysCount > 1 ? "s" : ""})`,
      server,
      wall,
      limits,
      keys,
    );
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cookbook script's algorithm (bench/cookbook.mjs), in a process of its own, on `count` prompts. */
async function cookbook(url, key, count, limits) {
  const dir = mkdtempSync(join(tmpdir(), "metasync-cookbook-"));
  try {
    const requests = join(dir, "requests.jsonl");
    const lines = [];
    for (let i = 0; i < count; i++) {
      lines.push(
        JSON.stringify({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: promptText(i) }],
          max_tokens: MAX_TOKENS,
          metadata: { id: `p${i}` },
        }),
      );
    }
    writeFileSync(requests, `${lines.join("\n")}\n`);
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        join(root, "bench/cookbook.mjs"),
        requests,
        join(dir, "results.jsonl"),
        `${url}/v1/chat/completions`,
        key,
        String(limits.rpm),
        String(limits.tpm),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    const [code] = await once(child, "exit");
    if (code !== 0) throw new Error(`cookbook exited ${code}`);
    const { succeeded, failed } = JSON.parse(output);
    return { wallS: (performance.now() - started) / 1000, done: succeeded, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function lenient(items = 4000, rounds = 3) {
  const limits = { tpm: 600_000, rpm: 6_000 };
  const dir = mkdtempSync(join(tmpdir(), "metasync-budgets-"));
  const input = prompts(dir, items);
  const times = { metasync: [], cookbook: [] };
  const contenders = {
    // The cookbook script keeps no bound on requests in flight; metasync gets a generous one.
    metasync: async (server) => {
      const wallS = await runMetasync(server, ["sk-lenient"], input, dir, limits, 64);
      await summarize("lenient metasync", server, wallS, limits, ["sk-lenient"]);
      return wallS;
    },
    cookbook: async (server) => {
      const run = await cookbook(server.url, "sk-lenient", items, limits);
      const stats = await server.stats();
      console.log(
        `lenient cookbook: ${run.done} answered in ${run.wallS.toFixed(2)} s (${run.failed} lost); 429s ${stats.status_counts["429"] ?? 0}/${stats.requests}`,
      );
      return run.wallS;
    },
  };
  try {
    // Each goes first in turn, so neither always meets the busier machine.
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? ["metasync", "cookbook"] : ["cookbook", "metasync"]) {
        const server = await startMockServer({ ...limits, latencyMs: 40 });
        try {
          times[name].push(await contenders[name](server));
        } finally {
          await server.close();
        }
      }
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    console.log(
      `lenient (median of ${rounds}): metasync ${median(times.metasync).toFixed(2)} s vs cookbook ${median(times.cookbook).toFixed(2)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The strict server, cookbook algorithm: what issue 5 measured (requests refused, items lost). */
async function strictCookbook() {
  const limits = { tpm: 60_000, rpm: 600 };
  const server = await startMockServer({ ...limits, strict: true, latencyMs: 40 });
  try {
    const run = await cookbook(server.url, "sk-c", 150, limits);
    const stats = await server.stats();
    console.log(
      `strict cookbook (150 items, 1 key): ${run.done} answered, ${run.failed} lost, 429s ${stats.status_counts["429"] ?? 0}/${stats.requests}, ${run.wallS.toFixed(1)} s`,
    );
  } finally {
    await server.close();
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
// The same strict server and budgets, the same prompts as an eval's rows (issue 13).
if (which === "eval-strict" || which === "all") await strict(3, 6000, "eval-strict", true);
if (which === "lenient" || which === "all") await lenient();
if (which === "strict-cookbook" || which === "all") await strictCookbook();
if (which === "scaling" || which === "all") await scaling();
