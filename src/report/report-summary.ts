import { costText, count, latency, seconds } from "./report-format.js";
import type { RunReport } from "./run-report.js";

/** The end-of-run summary for stderr: a few plain lines, no escape codes. */
export function renderReportSummary(report: RunReport): string {
  const { items, usage, latency_ms: l } = report;
  const counts = [`${count(items.ok)} ok`, `${count(items.failed)} failed`];
  if (items.pending > 0) counts.push(`${count(items.pending)} pending`);
  if (items.from_cache > 0) counts.push(`${count(items.from_cache)} from cache`);
  const lines = [
    `run ${report.run_id}: ${count(items.total)} items · ${counts.join(" · ")}`,
    `cost ${costText(report)} · tokens ${count(usage.input_tokens)} in / ${count(usage.output_tokens)} out`,
    `latency p50 ${latency(l.p50)} · p95 ${latency(l.p95)} · p99 ${latency(l.p99)} · ${count(report.retries)} ${report.retries === 1 ? "retry" : "retries"}`,
  ];
  const pace =
    report.throughput.items_per_s === null
      ? ""
      : ` · ${report.throughput.items_per_s} items/s · ${count(report.throughput.tokens_per_min ?? 0)} tokens/min`;
  lines.push(`wall ${seconds(report.wall_s)}${pace}`);
  const errors = Object.entries(report.errors);
  if (errors.length > 0)
    lines.push(`errors: ${errors.map(([type, n]) => `${type} ${count(n)}`).join(" · ")}`);
  return `${lines.map((line) => `metasync: ${line}`).join("\n")}\n`;
}
