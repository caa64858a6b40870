import { formatCount, formatShare } from "../core/format/number.js";
import { alignedTable, markdownTable } from "../core/format/table.js";
import { formatLatency } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import { UsdSum } from "../cost/usd.js";
import { LatencyLog } from "../report/latency-log.js";
import type { EvalRow } from "./eval-row.js";
import { type RepeatStats, RepeatTally } from "./repeat-stats.js";

/** A 95% confidence interval of a proportion, both ends in 0–1. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * The statistics of a set of rows: one prompt × provider cell, or the whole eval. Field names are part
 * of the interface: the `.json` output writes them and CI reads them.
 */
export interface EvalTotals {
  rows: number;
  pass: number;
  fail: number;
  /** Rows whose provider failed after retries, or whose assertions could not be evaluated. */
  error: number;
  /** Rows answered from the response cache (nothing sent for them in this run). */
  cached: number;
  /** pass / rows, errors included in the denominator; null when there are no rows. */
  pass_rate: number | null;
  /** The pass rate's 95% Wilson score interval; null when there are no rows. */
  pass_rate_ci95: Interval | null;
  /** The mean of the rows' scores, an error scoring 0; null when there are no rows. */
  mean_score: number | null;
  /** The standard error of `mean_score` (sample standard deviation / √n); null below two rows. */
  score_std_error: number | null;
  /** The target calls' cost in USD; null when some row's cost is unknown (never 0 for unknown). */
  cost_usd: number | null;
  /** The sum of the costs that are known; equals `cost_usd` when that is not null. */
  cost_usd_known: number;
  /** How many rows have no known cost. */
  cost_unknown_rows: number;
  /** The judge calls' cost in USD. */
  grading_cost_usd: number;
  /** Nearest-rank percentiles of the answers the provider gave (errors and cache answers left out). */
  latency_ms: { p50: number | null; p95: number | null };
  /** Tokens of the answers the provider gave (cache answers left out). */
  usage: { input_tokens: number; output_tokens: number };
}

/** One prompt × provider cell. */
export interface CellSummary extends EvalTotals {
  prompt: string;
  provider: string;
  /** With `--repeat` above 1: pass@k, pass^k and the flaky tests of the cell (k = the repeat count). */
  repeats?: RepeatStats;
}

/** Per prompt × provider cell (in the order the rows first name them), and over every row. */
export interface EvalSummary {
  cells: CellSummary[];
  overall: EvalTotals;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of `successes` out of `n` (95% by default): unlike the normal
 * approximation it stays inside 0–1 and is honest about small samples (8/10 → 0.490–0.943). Null for n = 0.
 */
export function wilsonInterval(successes: number, n: number, z = Z95): Interval | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return {
    low: successes <= 0 ? 0 : Math.max(0, centre - margin),
    high: successes >= n ? 1 : Math.min(1, centre + margin),
  };
}

/** Counters for a set of rows: a few numbers and 8 bytes a latency, however many rows. */
class Tally {
  private rows = 0;
  private pass = 0;
  private fail = 0;
  private error = 0;
  private cached = 0;
  // Welford's running mean and sum of squared deviations: stable over 100,000 rows.
  private mean = 0;
  private m2 = 0;
  private readonly cost = new UsdSum();
  private costUnknown = 0;
  private readonly grading = new UsdSum();
  private readonly latencies = new LatencyLog();
  private inputTokens = 0;
  private outputTokens = 0;

  add(row: EvalRow): void {
    this.rows += 1;
    this[row.status] += 1;
    const score = row.status === "error" ? 0 : row.score;
    const delta = score - this.mean;
    this.mean += delta / this.rows;
    this.m2 += delta * (score - this.mean);
    if (row.cost_usd === null) this.costUnknown += 1;
    else this.cost.add(row.cost_usd);
    this.grading.add(row.grading_cost_usd);
    if (row.cached) {
      this.cached += 1;
      return;
    }
    if (row.status !== "error" && row.latency_ms !== null) this.latencies.add(row.latency_ms);
    if (row.usage) {
      this.inputTokens += row.usage.input_tokens;
      this.outputTokens += row.usage.output_tokens;
    }
  }

  totals(): EvalTotals {
    const n = this.rows;
    return {
      rows: n,
      pass: this.pass,
      fail: this.fail,
      error: this.error,
      cached: this.cached,
      pass_rate: n === 0 ? null : this.pass / n,
      pass_rate_ci95: wilsonInterval(this.pass, n),
      mean_score: n === 0 ? null : this.mean,
      score_std_error: n < 2 ? null : Math.sqrt(this.m2 / (n - 1) / n),
      cost_usd: this.costUnknown > 0 ? null : this.cost.usd,
      cost_usd_known: this.cost.usd,
      cost_unknown_rows: this.costUnknown,
      grading_cost_usd: this.grading.usd,
      latency_ms: { p50: this.latencies.percentile(50), p95: this.latencies.percentile(95) },
      usage: { input_tokens: this.inputTokens, output_tokens: this.outputTokens },
    };
  }
}

/**
 * Builds the summary from rows one at a time, keeping counters per cell and the latencies only (not
 * the rows), so memory stays flat however many rows there are.
 */
export class EvalSummaryBuilder {
  private readonly overall = new Tally();
  private readonly cells = new Map<
    string,
    { prompt: string; provider: string; tally: Tally; repeats: RepeatTally | undefined }
  >();

  /** `repeat`: the eval's repeat count; above 1 each cell also gets pass@k, pass^k and its flaky tests. */
  constructor(private readonly repeat = 1) {}

  add(row: EvalRow): void {
    this.overall.add(row);
    const key = JSON.stringify([row.prompt, row.provider]);
    let cell = this.cells.get(key);
    if (!cell) {
      const repeats = this.repeat > 1 ? new RepeatTally(this.repeat) : undefined;
      cell = { prompt: row.prompt, provider: row.provider, tally: new Tally(), repeats };
      this.cells.set(key, cell);
    }
    cell.tally.add(row);
    cell.repeats?.add(row);
  }

  build(): EvalSummary {
    return {
      cells: [...this.cells.values()].map(({ prompt, provider, tally, repeats }) => ({
        prompt,
        provider,
        ...tally.totals(),
        ...(repeats ? { repeats: repeats.stats() } : {}),
      })),
      overall: this.overall.totals(),
    };
  }
}

/** The summary of a stream of rows, read in one pass. */
export async function summarizeEval(
  rows: Iterable<EvalRow> | AsyncIterable<EvalRow>,
  repeat = 1,
): Promise<EvalSummary> {
  const builder = new EvalSummaryBuilder(repeat);
  for await (const row of rows) builder.add(row);
  return builder.build();
}

export type Verdict = "pass" | "fail";

/**
 * Whether the eval's pass rate (errors counted in the denominator) reaches `passRatePct` (0–100).
 * An eval without rows passes only a threshold of 0: nothing run is not a green build.
 */
export function verdict(summary: EvalSummary, passRatePct: number): Verdict {
  const { pass, rows } = summary.overall;
  if (rows === 0) return passRatePct <= 0 ? "pass" : "fail";
  // Compared in whole counts, so 29 of 100 at 29% is not lost to 29/100*100 = 28.999…
  return pass * 100 >= passRatePct * rows - 1e-9 ? "pass" : "fail";
}

const HEADER = [
  "PROMPT",
  "PROVIDER",
  "ROWS",
  "PASS",
  "FAIL",
  "ERROR",
  "PASS RATE [95% CI]",
  "SCORE ± SE",
  "COST",
  "GRADING",
  "P50",
  "P95",
  "IN TOK",
  "OUT TOK",
];
/** The numeric columns, aligned right. */
const RIGHT = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];

/** The summary as lines for stderr: a row per cell, a total when there is more than one, and what is unknown. */
export function renderSummaryTable(summary: EvalSummary): string {
  const lines = alignedTable([HEADER, ...summaryRows(summary)], RIGHT);
  lines.push(...repeatLines(summary));
  const unknown = summary.overall.cost_unknown_rows;
  if (unknown > 0) {
    lines.push(
      `cost unknown for ${formatCount(unknown, "row")}: no price for the model; add one with --prices FILE`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The summary as a Markdown table. */
export function renderSummaryMarkdown(summary: EvalSummary): string {
  const header = HEADER.map((title) => title.toLowerCase());
  const lines = markdownTable(header, summaryRows(summary), RIGHT);
  const repeats = repeatLines(summary);
  if (repeats.length > 0) lines.push("", ...repeats.map((line) => `- ${line}`));
  const unknown = summary.overall.cost_unknown_rows;
  if (unknown > 0) lines.push("", `Cost unknown for ${formatCount(unknown, "row")}: no price for the model.`);
  return `${lines.join("\n")}\n`;
}

function summaryRows(summary: EvalSummary): string[][] {
  const rows = summary.cells.map((cell) => cells(shortLabel(cell.prompt), shortLabel(cell.provider), cell));
  if (summary.cells.length !== 1) rows.push(cells("total", "", summary.overall));
  return rows;
}

/**
 * A label as a table shows it: one line, at most 40 characters (the full label is in the rows); a
 * file prompt's `dir/file.txt: text` is named by the file's name, so two prompts of one file differ.
 */
export function shortLabel(label: string): string {
  const file = /^(?:[^:\n]*\/)?([^/:\n]+\.\w+): /.exec(label);
  const named = file ? `${file[1]}: ${label.slice(file[0].length)}` : label;
  const line = named.replace(/\s+/g, " ").trim();
  return line.length <= 40 ? line : `${line.slice(0, 39)}…`;
}

function cells(prompt: string, provider: string, t: EvalTotals): string[] {
  return [
    prompt,
    provider,
    formatCount(t.rows),
    formatCount(t.pass),
    formatCount(t.fail),
    formatCount(t.error),
    passRateText(t),
    scoreText(t),
    costText(t),
    formatUsd(t.grading_cost_usd),
    formatLatency(t.latency_ms.p50),
    formatLatency(t.latency_ms.p95),
    formatCount(t.usage.input_tokens),
    formatCount(t.usage.output_tokens),
  ];
}

/** `80% [49%, 94%]`; `n/a` without rows. */
function passRateText(t: EvalTotals): string {
  if (t.pass_rate === null || t.pass_rate_ci95 === null) return "n/a";
  const { low, high } = t.pass_rate_ci95;
  return `${formatShare(t.pass_rate)} [${formatShare(low)}, ${formatShare(high)}]`;
}

/** `0.83 ± 0.05`; the mean alone for one row; `n/a` without rows. */
function scoreText(t: EvalTotals): string {
  if (t.mean_score === null) return "n/a";
  const mean = t.mean_score.toFixed(2);
  return t.score_std_error === null ? mean : `${mean} ± ${t.score_std_error.toFixed(2)}`;
}

/** `$0.42`; `$0.42 + unknown` or `unknown` when some rows have no known cost, never `$0`. */
function costText(t: EvalTotals): string {
  if (t.cost_usd !== null) return formatUsd(t.cost_usd);
  return t.cost_usd_known > 0 ? `${formatUsd(t.cost_usd_known)} + unknown` : "unknown";
}

/**
 * With repeats, a line per cell: `route-v2 × openai:gpt-4o-mini: pass@5 92% · pass^5 60% · 3 of 10 tests
 * flaky: refund ticket, "late delivery", …`.
 */
function repeatLines(summary: EvalSummary): string[] {
  const lines: string[] = [];
  for (const cell of summary.cells) {
    const r = cell.repeats;
    if (!r || r.pass_at_k === null || r.pass_hat_k === null) continue;
    const flaky =
      r.flaky === 0
        ? "no flaky tests"
        : `${formatCount(r.flaky)} of ${formatCount(r.tests, "test")} flaky: ${r.flaky_tests.join(", ")}${r.flaky > r.flaky_tests.length ? ", …" : ""}`;
    lines.push(
      `${shortLabel(cell.prompt)} × ${shortLabel(cell.provider)}: pass@${r.k} ${formatShare(r.pass_at_k)} · pass^${r.k} ${formatShare(r.pass_hat_k)} · ${flaky}`,
    );
  }
  return lines;
}
