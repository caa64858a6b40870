#!/usr/bin/env node
// Start-up time of `metasync --version` against bare `node -e 0`, and what --version loads.
// Usage: node bench/startup.mjs [runs=20]   (build first: npm run build)
// Prints median and p90 wall time of each, the difference, and the packages --version and --help
// load; fails (exit 1) if either loads ink, react, a provider SDK or better-sqlite3.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { HEAVY_PACKAGES, tracePackages } from "../test/support/load-trace/loaded-packages.mjs";

const runs = Number(process.argv[2] ?? 20);
const bin = fileURLToPath(new URL("../bin/metasync.js", import.meta.url));

function time(args) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, args, { stdio: "ignore" });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (child.status !== 0) throw new Error(`node ${args.join(" ")}: exit ${child.status}`);
    if (i >= 2) samples.push(ms); // the first two warm the disk cache
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
  return { median: at(0.5), p90: at(0.9) };
}

const fmt = (ms) => `${ms.toFixed(1)} ms`.padStart(9);
const baseline = time(["-e", "0"]);
const version = time([bin, "--version"]);
console.log(`runs: ${runs} each (node ${process.version})`);
console.log(`                       median       p90`);
console.log(`node -e 0            ${fmt(baseline.median)} ${fmt(baseline.p90)}`);
console.log(`metasync --version   ${fmt(version.median)} ${fmt(version.p90)}`);
console.log(
  `difference           ${fmt(version.median - baseline.median)} ${fmt(version.p90 - baseline.p90)}`,
);

let failed = false;
for (const args of [["--version"], ["--help"]]) {
  const trace = tracePackages([bin, ...args]);
  const heavy = trace.packages.filter((name) => HEAVY_PACKAGES.includes(name));
  console.log(
    `metasync ${args.join(" ")} loads ${trace.urls.length} modules; packages: ${trace.packages.join(", ") || "none"}` +
      (heavy.length > 0
        ? `  ✗ must not load ${heavy.join(", ")}`
        : "  ✓ none of ink, react, the SDKs, better-sqlite3"),
  );
  if (heavy.length > 0 || trace.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
