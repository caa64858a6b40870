#!/usr/bin/env node
// Provider batch mode at scale: `metasync run --via batch` with 50,000 items (one OpenAI batch, the
// API's limit) against `metasync mock-server`, started here in this process so the client's memory
// is measured alone. The client is the built binary in a process of its own; its peak RSS is read
// from /proc (VmHWM) while it runs.
//
// Phases, timed from the server's side:
//   submit   start of the client → its batch create call (ingest, chunk file, upload, create)
//   collect  the client's first poll after the batch ended → its exit (results streamed, matched,
//            committed, results file written)
// The server's completion delay (and the wait for the first poll) is excluded.
//
// Usage: node bench/batch.mjs [items=50000] [delayMs=1000] [maxCostUsd]      (after npm run build)
// With maxCostUsd the run has `--max-cost`: each item's worst case is counted by the tokenizer and
// reserved before it goes into the chunk.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const items = Number(process.argv[2] ?? 50_000);
const delayMs = Number(process.argv[3] ?? 1000);
const maxCost = process.argv[4];
const { startMockServer } = await import(join(ROOT, "dist/src/mock-server/index.js"));

const dir = mkdtempSync(join(tmpdir(), "metasync-bench-batch-"));
const rows = [];
for (let i = 1; i <= items; i++) {
  rows.push(
    JSON.stringify({
      id: `q${i}`,
      prompt: `Summarize item ${i}: the quick brown fox jumps over the lazy dog.`,
    }),
  );
}
writeFileSync(join(dir, "in.jsonl"), `${rows.join("\n")}\n`);
rows.length = 0;

let createdAt;
let firstPollAfterEnd;
const server = await startMockServer({
  batchDelayMs: delayMs,
  log: (line) => {
    const at = Date.parse(line.slice(0, 24));
    if (/ POST \/v1\/batches /.test(line)) createdAt = at;
    if (
      createdAt !== undefined &&
      firstPollAfterEnd === undefined &&
      / GET \/v1\/batches\/batch_/.test(line)
    ) {
      if (at >= createdAt + delayMs) firstPollAfterEnd = at;
    }
  },
});

const started = Date.now();
const child = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    join(ROOT, "bin/metasync.js"),
    "run",
    "in.jsonl",
    "-m",
    "openai:gpt-4o-mini",
    "--via",
    "batch",
    "--poll-interval",
    String((delayMs + 50) / 1000),
    "-o",
    "out.jsonl",
    "--state",
    "state.db",
    "--progress",
    "none",
    ...(maxCost === undefined ? [] : ["--max-cost", maxCost]),
  ],
  {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      OPENAI_API_KEY: "sk-bench",
      OPENAI_BASE_URL: `${server.url}/v1`,
    },
    stdio: ["ignore", "ignore", "pipe"],
  },
);
let stderr = "";
child.stderr.on("data", (chunk) => {
  stderr += chunk;
});
let peakKb = 0;
let submitPeakKb = 0;
// CPU seconds the client has used (utime + stime), sampled: load on a shared machine stretches wall
// time, not the work done.
const ticks = 100;
let cpuS = 0;
let cpuAtCreate;
let cpuAtPoll;
const sample = setInterval(() => {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    cpuS = (Number(stat[11]) + Number(stat[12])) / ticks;
    if (createdAt !== undefined && cpuAtCreate === undefined) cpuAtCreate = cpuS;
    if (firstPollAfterEnd !== undefined && cpuAtPoll === undefined) cpuAtPoll = cpuS;
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    if (hwm && createdAt === undefined) submitPeakKb = peakKb;
  } catch {
    // the process has ended
  }
}, 20);
const code = await new Promise((resolve) => child.on("close", resolve));
const ended = Date.now();
clearInterval(sample);
await server.close();

const out = statSync(join(dir, "out.jsonl"));
const lines = readFileSync(join(dir, "out.jsonl"), "utf8").trim().split("\n");
const ok = lines.filter((line) => line.includes('"status":"ok"')).length;
rmSync(dir, { recursive: true, force: true });
const submitS = (createdAt - started) / 1000;
const collectS = (ended - firstPollAfterEnd) / 1000;
const result = {
  items,
  exit: code,
  ok,
  out_mb: Math.round(out.size / 1e5) / 10,
  wall_s: (ended - started) / 1000,
  server_delay_s: delayMs / 1000,
  submit_s: submitS,
  submit_items_per_s: Math.round(items / submitS),
  collect_and_write_s: collectS,
  collect_items_per_s: Math.round(items / collectS),
  cpu_s: { submit: cpuAtCreate, collect_and_write: Math.round((cpuS - cpuAtPoll) * 100) / 100 },
  submit_items_per_cpu_s: Math.round(items / cpuAtCreate),
  collect_items_per_cpu_s: Math.round(items / (cpuS - cpuAtPoll)),
  load_average: (await import("node:os")).loadavg().map((n) => Math.round(n * 10) / 10),
  peak_rss_mb: Math.round(peakKb / 1024),
  peak_rss_mb_until_submitted: Math.round(submitPeakKb / 1024),
};
console.log(JSON.stringify(result, null, 2));
if (code !== 0) console.error(stderr);
