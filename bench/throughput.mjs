#!/usr/bin/env node
// Throughput and memory of `metasync run` end to end (ingest, process, write) through mock:echo.
// Usage: node bench/throughput.mjs [rows=200000] [concurrency=64]
// Prints rows, wall time, items/s and the child's peak RSS (VmHWM), then the same for a rerun of the
// finished run (which must send nothing and only rewrite the output).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const rows = Number(process.argv[2] ?? 200_000);
const concurrency = Number(process.argv[3] ?? 64);
const bin = new URL("../bin/metasync.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "metasync-bench-"));
const input = join(dir, "prompts.jsonl");

const out = createWriteStream(input);
for (let i = 0; i < rows; i++) {
  const line = `{"id":"p${i}","prompt":"Summarize item number ${i} of the benchmark in one short sentence, please."}\n`;
  if (!out.write(line)) await once(out, "drain");
}
out.end();
await once(out, "finish");

async function measure(label) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      input,
      "-m",
      "mock:echo",
      "-c",
      String(concurrency),
      "-o",
      join(dir, "out.jsonl"),
      "--state",
      join(dir, "state.db"),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakKb = Math.max(peakKb, hwm);
    } catch {}
  }, 50);
  const [code] = await once(child, "exit");
  clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${label}: exit ${code}\n${stderr}`);
  console.log(
    `${label}: ${rows.toLocaleString("en")} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds).toLocaleString("en")} items/s, peak RSS ${(peakKb / 1024).toFixed(0)} MB`,
  );
}

try {
  await measure("first run ");
  await measure("rerun     ");
  const lines = readFileSync(join(dir, "out.jsonl"), "utf8").trimEnd().split("\n").length;
  console.log(`results file: ${lines.toLocaleString("en")} lines`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
