#!/usr/bin/env node
// What observing a run costs: `metasync run` through mock:echo without observers, with
// --metrics-file, with OTEL_EXPORTER_OTLP_ENDPOINT (a stand-in OTLP/HTTP collector in its own
// process), and with both. For each: the median wall time of a one-row run (start-up: OpenTelemetry
// is imported only when the variable is set) and the throughput of a `rows`-row run (every event
// goes to the observers; one span per request), each the median of interleaved runs.
// Usage: node bench/observe.mjs [runs=9] [rows=5000]   (build first: npm run build)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 9);
const rows = Number(process.argv[3] ?? 5000);
const bin = fileURLToPath(new URL("../bin/metasync.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "metasync-observe-bench-"));
writeFileSync(join(dir, "one.jsonl"), '{"prompt":"hi"}\n');
writeFileSync(
  join(dir, "many.jsonl"),
  Array.from({ length: rows }, (_, i) => `{"id":"r${i}","prompt":"row ${i}"}\n`).join(""),
);

// The collector answers in its own process: this one blocks in spawnSync while metasync runs.
const collector = spawn(
  process.execPath,
  [
    "-e",
    `const s = require("node:http").createServer((q, r) => { q.resume(); q.on("end", () => r.end("{}")); });
     s.listen(0, "127.0.0.1", () => console.log(s.address().port));`,
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const port = await new Promise((resolve) => collector.stdout.once("data", (d) => resolve(String(d).trim())));
const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` };

const cases = [
  ["no observer", [], {}],
  ["--metrics-file", ["--metrics-file", "m.prom"], {}],
  ["OTEL_EXPORTER_OTLP_ENDPOINT", [], otel],
  ["both", ["--metrics-file", "m.prom"], otel],
];

function run(input, extra, env) {
  const args = [
    bin,
    "run",
    input,
    "-m",
    "mock:echo",
    "-c",
    "64",
    "--progress",
    "none",
    "--fresh",
    "-o",
    "out.jsonl",
  ];
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [...args, ...extra], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (child.status !== 0)
    throw new Error(`metasync ${args.slice(1).join(" ")}: exit ${child.status}\n${child.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
try {
  const startup = new Map(cases.map(([name]) => [name, []]));
  for (let i = 0; i < runs + 1; i++) {
    // Interleaved, so that the machine's load weighs on every case alike; the first round warms up.
    for (const [name, extra, env] of cases) {
      const ms = run("one.jsonl", extra, env);
      if (i > 0) startup.get(name).push(ms);
    }
  }
  const bulk = new Map(cases.map(([name]) => [name, []]));
  for (let i = 0; i < 3; i++) {
    for (const [name, extra, env] of cases) bulk.get(name).push(run("many.jsonl", extra, env));
  }
  console.log(
    `node ${process.version}; ${runs} one-row and 3 ${rows}-row runs each (mock:echo, -c 64), medians`,
  );
  console.log(`${"".padEnd(30)}  one row   ${rows} rows`);
  for (const [name] of cases) {
    const rate = `${Math.round(rows / (median(bulk.get(name)) / 1000))} items/s`;
    console.log(
      `${name.padEnd(30)} ${`${median(startup.get(name)).toFixed(0)} ms`.padStart(8)}   ${rate.padStart(12)}`,
    );
  }
} finally {
  collector.kill();
  rmSync(dir, { recursive: true, force: true });
}
