import { formatUsd } from "../cost/usd.js";
import type { RunReport } from "./run-report.js";

/** How a report's numbers read, in Markdown and on stderr alike. */

/** `4,210` */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `812 ms`, `2.1 s`; `n/a` when nothing was measured. */
export function latency(ms: number | null): string {
  if (ms === null) return "n/a";
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** `3.2 s`, `4m 05s`, `1h 02m`; `unknown` when not known. */
export function seconds(s: number | null): string {
  if (s === null) return "unknown";
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  const two = (n: number) => String(n).padStart(2, "0");
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${two(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h ${two(Math.floor((whole % 3600) / 60))}m`;
}

/** `$0.42`, or `$0.42 + unknown (openai:x has no price)` when some costs are unknown. */
export function costText(report: RunReport): string {
  if (report.cost_usd !== null) return formatUsd(report.cost_usd);
  const models = report.unpriced_models.join(", ");
  return report.cost_usd_known > 0
    ? `${formatUsd(report.cost_usd_known)} + unknown (no price for ${models})`
    : `unknown (no price for ${models})`;
}
