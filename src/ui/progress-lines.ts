import { type EngineEvent, isEngineEvent, type ReporterEvent } from "../core/events.js";
import { formatCompact, formatCount, formatPercent } from "../core/format/number.js";
import { formatDateTime, formatDuration, formatLatency } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import { progressMetrics } from "./progress-metrics.js";
import type { ErrorTally, ProgressState } from "./progress-state.js";

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

/**
 * `[2026-11-29T12:03:07Z] 4,210/10,000 (42%) · 0 failed · errors: server 3 · 812 req/min · 410k
 * tok/min · $1.92 · ETA 7m`
 */
export function progressLine(state: ProgressState, now: number): string {
  const m = progressMetrics(state, now);
  const parts = [
    `${formatCount(m.done)}/${formatCount(state.total)} (${formatPercent(m.fraction)})`,
    `${formatCount(state.failed)} failed`,
  ];
  const errors = Object.entries(state.errorTypes);
  if (errors.length > 0) {
    parts.push(
      `errors: ${errors.map(([type, n]) => `${type} ${formatCount(n.retried + n.failed)}`).join(", ")}`,
    );
  }
  if (state.inFlight > 0) parts.push(`${formatCount(state.inFlight)} in flight`);
  parts.push(`${formatCompact(m.requestsPerMin)} req/min`, `${formatCompact(m.tokensPerMin)} tok/min`);
  const cost = costText(state, now);
  if (cost) parts.push(cost);
  if (m.etaMs !== null) parts.push(`ETA ${formatDuration(m.etaMs)}`);
  return `${stamp(now)} ${parts.join(" · ")}\n`;
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
      return `${stamp(now)} key ${event.key} (${event.provider}) disabled: ${event.reason}\n`;
    case "stopping":
      return event.reason === "interrupted" ? undefined : `${stamp(now)} ${event.message}\n`;
    case "warning":
      return `metasync: warning: ${event.message}\n`;
    case "notice":
      return `metasync: ${event.message}\n`;
    default:
      return undefined;
  }
}

/**
 * The first error of its type as it happens (later ones are counted in the progress lines):
 * `[2026-11-29T12:03:07Z] connection error, item p3 (attempt 1, retrying): openai: cannot connect …`.
 * `before` is the state before `event`.
 */
export function errorLine(before: ProgressState, event: ReporterEvent, now: number): string | undefined {
  if (!isEngineEvent(event)) return undefined;
  let error: { type: string; message: string } | null;
  let what: string;
  if (event.type === "retry") {
    error = event.error;
    what = `attempt ${event.attempt}, retrying`;
  } else if (event.type === "item_done" && event.result.status !== "ok") {
    error = event.result.error;
    what = `attempt ${event.result.attempts}, failed`;
  } else {
    return undefined;
  }
  if (error === null || Object.hasOwn(before.errorTypes, error.type)) return undefined;
  const message = error.message.split("\n", 1)[0] ?? "";
  return `${stamp(now)} ${error.type} error, item ${event.id} (${what}): ${message}\n`;
}

/** `[2026-11-29T12:03:07Z]`: when a line was printed, in UTC. */
function stamp(now: number): string {
  return `[${formatDateTime(now)}]`;
}

/** `server 3 failed + 2 retried · connection 2 retried` */
function errorTypesText(types: Readonly<Record<string, ErrorTally>>): string {
  return Object.entries(types)
    .map(([type, n]) => {
      const counts = [
        ...(n.failed > 0 ? [`${formatCount(n.failed)} failed`] : []),
        ...(n.retried > 0 ? [`${formatCount(n.retried)} retried`] : []),
      ];
      return `${type} ${counts.join(" + ")}`;
    })
    .join(" · ");
}

/**
 * `metasync: done: 300 items (20 done before) · 280 ok · 0 failed · 1.2 s · 41k tokens · $0.012 ·
 * p50 20 ms · p95 31 ms`
 */
export function summaryLine(state: ProgressState, now: number): string {
  const m = progressMetrics(state, now);
  const pending = Math.max(0, state.total - state.previouslyDone - state.ok - state.failed);
  const parts = [`${formatCount(state.ok)} ok`, `${formatCount(state.failed)} failed`];
  if (pending > 0) parts.push(`${formatCount(pending)} pending`);
  const before = state.previouslyDone > 0 ? ` (${formatCount(state.previouslyDone)} done before)` : "";
  const verb = state.end?.reason === "completed" ? "done" : "stopped";
  parts.push(formatDuration(m.elapsedMs, "fine"));
  const tokens = state.inputTokens + state.outputTokens;
  if (tokens > 0) parts.push(`${formatCompact(tokens)} tokens`);
  const cost = costText(state, now);
  if (cost) parts.push(cost);
  if (m.p50Ms !== null && m.p95Ms !== null)
    parts.push(`p50 ${formatLatency(m.p50Ms)}`, `p95 ${formatLatency(m.p95Ms)}`);
  const summary = `metasync: ${verb}: ${formatCount(state.total, "item")}${before} · ${parts.join(" · ")}\n`;
  const errors = Object.keys(state.errorTypes).length > 0;
  return errors ? `${summary}metasync: errors: ${errorTypesText(state.errorTypes)}\n` : summary;
}
