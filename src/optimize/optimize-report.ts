import { formatUsd } from "../core/format/usd.js";
import type { Interval } from "./paired-bootstrap.js";
import type { RoleCost } from "./rollouts.js";

/** What the end report says, computed once: the text on stderr, `--report opt.md` and opt.json agree. */
export interface OptimizeSummary {
  stopReason: string;
  candidates: number;
  winner: number;
  test: { baseline: Interval; winner: Interval; gain: Interval; significant: boolean; rows: number };
  val: { baseline: number; winner: number };
  /** The winner's val score minus its test score: how much selecting on val flattered it. */
  gap: number;
  costs: Record<"task" | "proposer" | "judge", RoleCost>;
  capUsd: number | null;
  paidUsd: number;
  /** The winner's extra prompt tokens (4 bytes a token) × the dataset's rows × models, and their price. */
  perRun: { rows: number; extraTokens: number; extraUsd: number | null };
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const range = (i: Interval) => `${pct(i.value)} [${pct(i.low)}, ${pct(i.high)}]`;
const signed = (n: number) => `${n >= 0 ? "+" : "−"}${(Math.abs(n) * 100).toFixed(1)} pts`;

/** The end report's lines (stderr, and the body of `--report opt.md`). */
export function summaryLines(s: OptimizeSummary): string[] {
  const lines = [
    `sealed test (${s.test.rows} rows): baseline ${range(s.test.baseline)} → winner ${range(s.test.winner)}`,
    s.test.significant
      ? `gain ${signed(s.test.gain.value)}, 95% interval [${signed(s.test.gain.low)}, ${signed(s.test.gain.high)}]`
      : `no significant gain (${signed(s.test.gain.value)}, 95% interval [${signed(s.test.gain.low)}, ${signed(s.test.gain.high)}] covers 0)`,
    `val − test gap of the winner: ${signed(s.val.winner - s.test.winner.value)} (val ${pct(s.val.winner)}, test ${pct(s.test.winner.value)})`,
    `candidates: ${s.candidates}, winner #${s.winner}; stopped: ${s.stopReason}`,
    `calls: task ${s.costs.task.calls} (rollouts), proposer ${s.costs.proposer.calls}, judge ${s.costs.judge.calls}`,
    `dollars: task ${formatUsd(s.costs.task.cost_usd)}, proposer ${formatUsd(s.costs.proposer.cost_usd)}, judge ${formatUsd(s.costs.judge.cost_usd)}; paid ${formatUsd(s.paidUsd)}${s.capUsd === null ? " (no --max-cost)" : ` of --max-cost ${formatUsd(s.capUsd)}`}`,
    `per run of the dataset (${s.perRun.rows} requests): the winner's prompt is ${s.perRun.extraTokens >= 0 ? "+" : ""}${s.perRun.extraTokens} prompt tokens${s.perRun.extraUsd === null ? "" : ` (${s.perRun.extraUsd >= 0 ? "+" : "−"}${formatUsd(Math.abs(s.perRun.extraUsd))})`}`,
  ];
  return lines;
}

/** `--report opt.md`: the summary and every candidate. */
export function markdownReport(
  s: OptimizeSummary,
  candidates: readonly {
    id: number;
    parent: number | null;
    decision: string;
    reason: string;
    val_score: number | null;
  }[],
): string {
  const rows = candidates.map(
    (c) =>
      `| ${c.id} | ${c.parent ?? ""} | ${c.val_score === null ? "" : pct(c.val_score)} | ${c.decision} | ${c.reason.replace(/\|/g, "\\|")} |`,
  );
  return [
    "# metasync optimize",
    "",
    ...summaryLines(s).map((line) => `- ${line}`),
    "",
    "| candidate | parent | val | decision | why |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
