#!/usr/bin/env node
// `metasync eval` at scale (issue 13): N tests from a CSV file, one prompt, `mock:echo`, deterministic
// assertions (contains, icontains-any, regex, javascript, not-contains). Prints rows, wall time,
// rows/s and the child's peak RSS (VmHWM) for the first eval, then for the rerun of the finished
// eval (sends nothing, grades and writes again). Goal: 100,000 rows in ≤ 300 MB, ≥ 5,000 rows/s.
// Needs a build (npm run build). Usage: node bench/eval.mjs [rows=100000] [concurrency=64]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const rows = Number(process.argv[2] ?? 100_000);
const concurrency = Number(process.argv[3] ?? 64);
const bin = new URL("../bin/metasync.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "metasync-bench-eval-"));

const csv = createWriteStream(join(dir, "tests.csv"));
csv.write("ticket,team,__expected1,__expected2\n");
for (let i = 0; i < rows; i++) {
  const team = ["billing", "tech", "sales"][i % 3];
  const line = `"Ticket ${i}: please route this to ${team}",${team},contains:${team},icontains-any:BILLING,TECH,SALES\n`;
  if (!csv.write(line.replace("icontains-any:BILLING,TECH,SALES", '"icontains-any:BILLING,TECH,SALES"'))) {
    await once(csv, "drain");
  }
}
csv.end();
await once(csv, "finish");
writeFileSync(
  join(dir, "promptfooconfig.yaml"),
  `prompts:
  - "Route this ticket: {{ ticket }}"
providers:
  - mock:echo
defaultTest:
  assert:
    - type: regex
      value: "Ticket \\\\d+"
    - type: javascript
      value: output.length < 500
    - type: not-contains
      value: password
tests: file://tests.csv
`,
);

async function measure(label) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      "eval",
      join(dir, "promptfooconfig.yaml"),
      "-c",
      String(concurrency),
      "--state",
      join(dir, "state.db"),
      "--progress",
      "none",
      "-o",
      join(dir, "rows.jsonl"),
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
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {}
  }, 50);
  const [code] = await once(child, "exit");
  clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${label}: exit ${code}\n${stderr}`);
  const rate = Math.round(rows / seconds).toLocaleString("en-US");
  console.log(
    `${label}: ${rows.toLocaleString("en-US")} rows in ${seconds.toFixed(2)} s = ${rate} rows/s, peak RSS ${Math.round(peakKb / 1024)} MB`,
  );
}

try {
  await measure("first eval");
  await measure("rerun     ");
  const written = readFileSync(join(dir, "rows.jsonl"), "utf8").trimEnd().split("\n").length;
  console.log(`rows file: ${written.toLocaleString("en-US")} lines`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
