import type { DataRow } from "./dataset.js";
import type { OptimizeInputs } from "./journal.js";
import type { OptimizeSummary } from "./optimize-report.js";
import type { OptimizeSettings } from "./optimize-settings.js";
import type { Interval } from "./paired-bootstrap.js";
import type { Search } from "./search.js";
import type { Splits } from "./splits.js";

/**
 * `opt.json` (`"format": "metasync-optimize/1"`): every candidate with its parent, the proposer
 * request that wrote it, its minibatch and per-instance val scores, the decision and why; cost and
 * tokens by role; the stop reason; the seed; the input hashes; the test comparison. No wall-clock
 * time and no figure that depends on the order answers arrived: the same seed over the same answers
 * gives the same bytes. Costs are the optimization's logical cost (each distinct request once).
 */
export function optimizeHistory(parts: {
  settings: OptimizeSettings;
  inputs: OptimizeInputs;
  splits: Splits;
  rows: readonly DataRow[];
  search: Search;
  summary: OptimizeSummary;
  metaSource: string;
  stats: { baseline: Interval; winner: Interval; gain: Interval; significant: boolean };
}): string {
  const { settings, splits, rows, search, summary } = parts;
  const ids = (indexes: readonly number[]) => indexes.map((i) => (rows[i] as DataRow).id);
  const history = {
    format: "metasync-optimize/1",
    algo: settings.algo,
    target: settings.target,
    seed: settings.seed,
    models: settings.models.map((m) => `${m.provider}:${m.model}`),
    proposer: `${settings.proposer.provider}:${settings.proposer.model}`,
    across: settings.across,
    select_on: settings.selectOn,
    meta_prompt: parts.metaSource === "default" ? "default" : parts.metaSource,
    inputs: parts.inputs,
    split: {
      fractions: settings.split,
      stratify: settings.stratify ?? null,
      train: ids(splits.train),
      val: ids(splits.val),
      test: ids(splits.test),
    },
    stop_reason: summary.stopReason,
    winner: summary.winner,
    candidates: search.pool.map((c) => ({
      id: c.id,
      parent: c.parent,
      step: c.step,
      origin: c.origin,
      system: c.prompt.system ?? null,
      template: c.prompt.template,
      proposer_request: c.proposer_request,
      minibatch: c.minibatch,
      val_score: c.val_score,
      val_scores: c.val_scores,
      decision: c.decision,
      reason: c.reason,
    })),
    test: {
      rows: summary.test.rows,
      baseline: parts.stats.baseline,
      winner: parts.stats.winner,
      gain: parts.stats.gain,
      significant: parts.stats.significant,
    },
    val: summary.val,
    val_test_gap: summary.gap,
    cost: summary.costs,
    cap_usd: summary.capUsd,
  };
  return `${JSON.stringify(history, null, 2)}\n`;
}
