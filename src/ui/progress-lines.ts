import { type EngineEvent, isEngineEvent, type ReporterEvent } from "../core/events.js";
import { formatCompact, formatCount, formatPercent } from "../core/format/number.js";
import { formatClockTime, formatDuration, formatLatency } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import { progressMetrics } from "./progress-metrics.js";
import type { ProgressState } from "./progress-state.js";

/** The lines the text reporters print; no escape codes, each ends with a newline. */

/** `metasync: resuming run … (12 answered from the response cache)` */
function runInfoLine(event: Extract<EngineEvent, { type: "run" }>): string {
  const notes: string[] = [];
  if (event.cached > 0) notes.push(`${event.cached} answered from the response cache`);
  if (event.retried > 0) notes.push(`${event.retried} failed items queued again`);
  const what =
    event.state === "finished"
      ? `run ${event.runId} finished earlier; writing its results from the state database`
      : event.state === "resumed"
        ? `resuming run ${event.runId}`
        : `run ${event.runId}`;
  return `metasync: ${what}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}\n`;
}

/** `[12:03:07] 4,210/10,000 (42%) · 0 failed · 812 req/min · 410k tok/min · $1.92 · ETA 7m` */
export function progressLine(state: ProgressState, now: number): string {
  const m = progressMetrics(state, now);
  const parts = [
    `${formatCount(m.done)}/${formatCount(state.total)} (${formatPercent(m.fraction)})`,
    `${formatCount(state.failed)} failed`,
  ];
  if (state.inFlight > 0) parts.push(`${formatCount(state.inFlight)} in flight`);
  parts.push(`${formatCompact(m.requestsPerMin)} req/min`, `${formatCompact(m.tokensPerMin)} tok/min`);
  const cost = costText(state, now);
  if (cost) parts.push(cost);
  if (m.etaMs !== null) parts.push(`ETA ${formatDuration(m.etaMs)}`);
  return `[${formatClockTime(now)}] ${parts.join(" · ")}\n`;
}

/** `$1.92`, `$1.92 + unpriced`, `cost unknown`, or nothing when nothing was spent. */
export function costText(state: ProgressState, now: number): string | undefined {
  const m = progressMetrics(state, now);
  if (state.pricedItems === 0) return state.unpricedItems > 0 ? "cost unknown" : undefined;
  return m.costComplete ? formatUsd(m.costUsd) : `${formatUsd(m.costUsd)} + unpriced`;
}

/**
 * A notable event as a line, or undefined for the events that only move counters and for a
 * command's own. An interrupt's `stopping` has none: the CLI announces it, with what a second
 * Ctrl-C does.
 */
export function noticeLine(event: ReporterEvent, now: number): string | undefined {
  if (!isEngineEvent(event)) return undefined;
  switch (event.type) {
    case "run":
      return runInfoLine(event);
    case "key_disabled":
      return `[${formatClockTime(now)}] key ${event.key} (${event.provider}) disabled: ${event.reason}\n`;
    case "stopping":
      return event.reason === "interrupted" ? undefined : `[${formatClockTime(now)}] ${event.message}\n`;
    case "warning":
      return `metasync: warning: ${event.message}\n`;
    default:
      return undefined;
  }
}

/**
 * `metasync: done: 300 items (20 done before) · 280 ok · 0 failed · 1.2 s · 41k tokens · $0.012 ·
 * p50 20 ms · p95 31 ms`
 */
export function summaryLine(state: ProgressState, now: number): string {
  const m = progressMetrics(state, now);
  const pending = Math.max(0, state.total - state.previouslyDone - state.ok - state.failed);
  const parts = [`${state.ok} ok`, `${state.failed} failed`];
  if (pending > 0) parts.push(`${pending} pending`);
  const before = state.previouslyDone > 0 ? ` (${state.previouslyDone} done before)` : "";
  const verb = state.end?.reason === "completed" ? "done" : "stopped";
  parts.push(formatDuration(m.elapsedMs, "fine"));
  const tokens = state.inputTokens + state.outputTokens;
  if (tokens > 0) parts.push(`${formatCompact(tokens)} tokens`);
  const cost = costText(state, now);
  if (cost) parts.push(cost);
  if (m.p50Ms !== null && m.p95Ms !== null)
    parts.push(`p50 ${formatLatency(m.p50Ms)}`, `p95 ${formatLatency(m.p95Ms)}`);
  return `metasync: ${verb}: ${state.total} items${before} · ${parts.join(" · ")}\n`;
}
