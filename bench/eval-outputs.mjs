#!/usr/bin/env node
// Memory and speed of eval's output writers: N rows streamed through .jsonl, .json, .csv, .md and
// .xml at once, with the summary built alongside (nothing of the rows kept).
// Usage: node --expose-gc bench/eval-outputs.mjs [rows=100000]   (build first: npm run build)
// Prints rows/s, the heap's growth (after a GC, sampled every 10% of the rows) and the peak RSS. The
// goal (design/eval.md): flat memory, 100,000 rows in ≤ 300 MB for the whole eval.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { openEvalOutputs } = await import(new URL("../dist/src/eval/eval-outputs.js", import.meta.url).href);
const { EvalSummaryBuilder } = await import(new URL("../dist/src/eval/summary.js", import.meta.url).href);

const total = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "metasync-bench-eval-out-"));
const names = ["out.jsonl", "out.json", "out.csv", "out.md", "out.xml"];
const paths = names.map((name) => join(dir, name));
const prompts = ["route-v1", "route-v2"];
const providers = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"];

function row(i) {
  const failed = i % 7 === 0;
  const errored = i % 101 === 0;
  const status = errored ? "error" : failed ? "fail" : "pass";
  return {
    test: Math.floor(i / 4),
    description: `ticket ${i}`,
    prompt: prompts[i % 2],
    provider: providers[Math.floor(i / 2) % 2],
    repeat: 0,
    vars: { text: `Customer message number ${i}: I was charged twice for my subscription.`, lang: "en" },
    output: errored ? null : failed ? "shipping" : "billing",
    status,
    pass: status === "pass",
    score: status === "pass" ? 1 : 0,
    reason: status === "pass" ? "All assertions passed" : 'Expected output "shipping" to equal "billing"',
    named_scores: {},
    assertions: errored
      ? []
      : [
          {
            type: "equals",
            pass: !failed,
            score: failed ? 0 : 1,
            reason: failed ? "mismatch" : "ok",
            weight: 1,
          },
        ],
    error: errored ? { type: "server_error", message: "HTTP 500" } : null,
    latency_ms: errored ? null : 200 + (i % 300),
    usage: errored ? null : { input_tokens: 80, output_tokens: 2 },
    cost_usd: errored ? 0 : 0.000013,
    grading_cost_usd: 0,
    cached: false,
  };
}

const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const started = performance.now();
const baseline = heap();
let peakHeap = baseline;
const summary = new EvalSummaryBuilder();
const outputs = await openEvalOutputs(paths, { varNames: ["text", "lang"], title: "bench" });
for (let i = 0; i < total; i++) {
  const r = row(i);
  summary.add(r);
  await outputs.add(r);
  if ((i + 1) % Math.max(1, Math.floor(total / 10)) === 0) peakHeap = Math.max(peakHeap, heap());
}
await outputs.finish(summary.build());
const seconds = (performance.now() - started) / 1000;

console.log(
  `rows: ${total.toLocaleString("en-US")} through ${names.join(" ")} (${globalThis.gc ? "heap after GC" : "run with --expose-gc for steady heap figures"})`,
);
console.log(`time: ${seconds.toFixed(2)} s, ${Math.round(total / seconds).toLocaleString("en-US")} rows/s`);
console.log(
  `heap: ${mb(baseline)} before, ${mb(peakHeap)} at most while writing (growth ${mb(peakHeap - baseline)})`,
);
console.log(`peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)}`);
for (const path of paths)
  console.log(`  ${path.slice(dir.length + 1).padEnd(10)} ${mb(statSync(path).size)}`);
rmSync(dir, { recursive: true, force: true });
