import type { ReporterEvent } from "../core/events.js";

/** One candidate's decision as the dashboard lists it. */
export interface OptimizeDecision {
  /** 1, 2, … in the order decisions came (a step may decide several candidates, or none by number). */
  seq: number;
  step: number;
  candidate: number | undefined;
  decision: string;
  reason: string;
}

/** `metasync optimize` as the dashboard follows it (`optimize_start` / `optimize_step` / `optimize_end` events). */
export interface OptimizeProgress {
  algo: string;
  step: number;
  best: number;
  bestVal: number | null;
  rollouts: number;
  spentUsd: number;
  capUsd: number | null;
  /** Candidates by decision: best, kept, rejected (skipped steps are not candidates). */
  counts: Record<string, number>;
  /** The latest decisions, newest last. */
  recent: readonly OptimizeDecision[];
  /** The best val score each time it rose, against rollouts and dollars. */
  bests: readonly { val: number; rollouts: number; usd: number }[];
  stop: string | null;
}

/** How many decisions the panel keeps. */
const RECENT = 5;

/** The optimization after `event`; any other event leaves it as it is (the same object). Pure. */
export function reduceOptimize(
  progress: OptimizeProgress | null,
  event: ReporterEvent,
): OptimizeProgress | null {
  const f = event as Record<string, unknown>;
  if (event.type === "optimize_start") {
    return {
      algo: String(f.algo),
      step: 0,
      best: 0,
      bestVal: null,
      rollouts: 0,
      spentUsd: 0,
      capUsd: typeof f.cap_usd === "number" ? f.cap_usd : null,
      counts: {},
      recent: [],
      bests: [],
      stop: null,
    };
  }
  if (!progress) return progress;
  if (event.type === "optimize_end") return { ...progress, stop: String(f.stop) };
  if (event.type !== "optimize_step") return progress;
  const bestVal = typeof f.best_val === "number" ? f.best_val : null;
  const rollouts = Number(f.rollouts) || 0;
  const spentUsd = Number(f.spent_usd) || 0;
  const decision = String(f.decision);
  const candidate = typeof f.candidate === "number" ? f.candidate : undefined;
  const rose = bestVal !== null && (progress.bestVal === null || bestVal > progress.bestVal);
  return {
    ...progress,
    step: Number(f.step) || progress.step,
    best: Number(f.best) || 0,
    bestVal,
    rollouts,
    spentUsd,
    capUsd: typeof f.cap_usd === "number" ? f.cap_usd : progress.capUsd,
    counts:
      candidate === undefined
        ? progress.counts
        : { ...progress.counts, [decision]: (progress.counts[decision] ?? 0) + 1 },
    recent: [
      ...progress.recent,
      {
        seq: (progress.recent.at(-1)?.seq ?? 0) + 1,
        step: Number(f.step) || 0,
        candidate,
        decision,
        reason: String(f.reason),
      },
    ].slice(-RECENT),
    bests: rose ? [...progress.bests, { val: bestVal, rollouts, usd: spentUsd }] : progress.bests,
  };
}
