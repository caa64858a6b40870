import type { DurationEstimate } from "./duration-estimate.js";
import type { CostEstimate, CostRange } from "./estimate.js";
import { formatUsd } from "./usd.js";

export interface EstimateTextOptions {
  duration?: DurationEstimate;
  /** The assumptions behind `duration`, said with it. */
  concurrency?: number;
  latencyMs?: number;
  scopes?: number;
}

/** The `--dry-run` estimate as lines for stderr: a table per model, the total, and its assumptions. */
export function renderEstimate(estimate: CostEstimate, options: EstimateTextOptions = {}): string {
  const rows: string[][] = [["MODEL", "REQUESTS", "PROMPT TOK", "OUTPUT CAP", "COST MIN / EXPECTED / MAX"]];
  for (const model of estimate.byModel) {
    rows.push([
      model.model,
      count(model.requests),
      count(model.promptTokens),
      count(model.maxOutputTokens),
      model.cost ? range(model.cost) : "unknown (no price)",
    ]);
  }
  // The counts cover every model; the cost only the priced ones, so an unpriced part reads as
  // unknown, never as $0 (DESIGN §7).
  const unpriced = estimate.unpricedModels.length;
  rows.push([
    "total",
    count(estimate.requests),
    count(estimate.promptTokens),
    count(estimate.maxOutputTokens),
    unpriced === 0
      ? range(estimate.cost)
      : unpriced === estimate.byModel.length
        ? "unknown (no price)"
        : `${range(estimate.cost)} + unknown`,
  ]);
  const lines = [
    `dry run: nothing sent. ${plural(estimate.requests, "request")}, ${plural(estimate.promptTokens, "prompt token")}`,
    ...aligned(rows),
  ];
  if (estimate.unpricedModels.length > 0) {
    lines.push(
      `cost unknown for ${estimate.unpricedModels.join(", ")}: no price in the table; add one with --prices FILE`,
    );
  }
  const ratio = `${Math.round(estimate.expectedOutputRatio * 100)}%`;
  lines.push(
    `min = prompt tokens only; expected = prompt + ${ratio} of each output cap; max = prompt + every output cap`,
  );
  if (estimate.uncapped > 0) {
    lines.push(
      `${plural(estimate.uncapped, "request")} set${estimate.uncapped === 1 ? "s" : ""} no max_tokens: the output cap is taken as ${count(estimate.defaultMaxTokens)} tokens (set --max-tokens to bound it)`,
    );
  }
  lines.push(
    "prompt tokens are counted with OpenAI's tokenizers (o200k_base, cl100k_base); for other providers' models they are an approximation",
  );
  if (options.duration) lines.push(durationLine(options.duration, options));
  return `${lines.map((line) => `metasync: ${line}`).join("\n")}\n`;
}

function durationLine(duration: DurationEstimate, options: EstimateTextOptions): string {
  const limits: string[] = [];
  if (duration.rpm !== null) limits.push(`${count(duration.rpm)} requests/min`);
  if (duration.tpm !== null) limits.push(`${count(duration.tpm)} tokens/min`);
  const scopes = options.scopes === undefined ? "" : ` over ${plural(options.scopes, "limit scope")}`;
  const assumed = [
    limits.length > 0 ? `${limits.join(", ")}${scopes}` : "no rate limits known",
    options.concurrency === undefined ? undefined : `concurrency ${options.concurrency}`,
    options.latencyMs === undefined
      ? undefined
      : `${(options.latencyMs / 1000).toFixed(1)} s per request assumed`,
  ].filter((part) => part !== undefined);
  return `expected duration ≈ ${formatSeconds(duration.seconds)}, paced by ${duration.bound} (${assumed.join("; ")})`;
}

/** `45s`, `7m 30s`, `2h 5m`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 === 0 ? `${minutes}m` : `${minutes}m ${s % 60}s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}

function range(cost: CostRange): string {
  return `${formatUsd(cost.min)} / ${formatUsd(cost.expected)} / ${formatUsd(cost.max)}`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
function aligned(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i > 0 && i < row.length - 1 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd(),
  );
}
