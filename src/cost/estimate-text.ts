import { formatCount, formatShare } from "../core/format/number.js";
import { alignedTable } from "../core/format/table.js";
import { formatDuration } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import type { DurationEstimate } from "./duration-estimate.js";
import type { CostEstimate, CostRange } from "./estimate.js";

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
      formatCount(model.requests),
      formatCount(model.promptTokens),
      formatCount(model.maxOutputTokens),
      model.cost ? range(model.cost) : "unknown (no price)",
    ]);
  }
  // The counts cover every model; the cost only the priced ones, so an unpriced part reads as
  // unknown, never as $0 (DESIGN §7).
  const unpriced = estimate.unpricedModels.length;
  rows.push([
    "total",
    formatCount(estimate.requests),
    formatCount(estimate.promptTokens),
    formatCount(estimate.maxOutputTokens),
    unpriced === 0
      ? range(estimate.cost)
      : unpriced === estimate.byModel.length
        ? "unknown (no price)"
        : `${range(estimate.cost)} + unknown`,
  ]);
  const lines = [
    `dry run: nothing sent. ${formatCount(estimate.requests, "request")}, ${formatCount(estimate.promptTokens, "prompt token")}`,
    // Numbers on the right; the model and the cost range on the left.
    ...alignedTable(rows, [1, 2, 3]),
  ];
  if (estimate.unpricedModels.length > 0) {
    lines.push(
      `cost unknown for ${estimate.unpricedModels.join(", ")}: no price in the table; add one with --prices FILE`,
    );
  }
  const ratio = formatShare(estimate.expectedOutputRatio);
  lines.push(
    `min = prompt tokens only; expected = prompt + ${ratio} of each output cap; max = prompt + every output cap`,
  );
  if (estimate.uncapped > 0) {
    lines.push(
      `${formatCount(estimate.uncapped, "request")} set${estimate.uncapped === 1 ? "s" : ""} no max_tokens: the output cap is taken as ${formatCount(estimate.defaultMaxTokens)} tokens (set --max-tokens to bound it)`,
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
  if (duration.rpm !== null) limits.push(`${formatCount(duration.rpm)} requests/min`);
  if (duration.tpm !== null) limits.push(`${formatCount(duration.tpm)} tokens/min`);
  const scopes = options.scopes === undefined ? "" : ` over ${formatCount(options.scopes, "limit scope")}`;
  const assumed = [
    limits.length > 0 ? `${limits.join(", ")}${scopes}` : "no rate limits known",
    options.concurrency === undefined ? undefined : `concurrency ${options.concurrency}`,
    options.latencyMs === undefined
      ? undefined
      : `${formatDuration(options.latencyMs, "fine")} per request assumed`,
  ].filter((part) => part !== undefined);
  return `expected duration ≈ ${formatDuration(duration.seconds * 1000)}, paced by ${duration.bound} (${assumed.join("; ")})`;
}

function range(cost: CostRange): string {
  return `${formatUsd(cost.min)} / ${formatUsd(cost.expected)} / ${formatUsd(cost.max)}`;
}
