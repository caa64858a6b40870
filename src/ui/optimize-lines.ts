import type { ReporterEvent } from "../core/events.js";
import { formatDateTime } from "../core/format/time.js";

/**
 * `metasync optimize`'s events as plain lines (`--progress plain`): the search starting, each
 * candidate's decision with the best val score, rollouts and dollars against the cap, and the end.
 * Other commands' events are not lines: undefined.
 */
export function optimizeLine(event: ReporterEvent, now: number): string | undefined {
  const at = `[${formatDateTime(now)}]`;
  const f = event as Record<string, unknown>;
  switch (event.type) {
    case "optimize_start":
      return `${at} optimize (${String(f.algo)}): ${String(f.train)} train, ${String(f.val)} val, ${String(f.test)} sealed test rows${f.resumed ? ", resuming from its checkpoint" : ""}\n`;
    case "optimize_step": {
      const best = typeof f.best_val === "number" ? `${(f.best_val * 100).toFixed(1)}%` : "—";
      const cap = typeof f.cap_usd === "number" ? ` of $${f.cap_usd}` : "";
      const who = f.candidate === undefined ? "" : ` candidate #${String(f.candidate)}`;
      return `${at} step ${String(f.step)}${who}: ${String(f.decision)} — ${String(f.reason)} · best #${String(f.best)} at ${best} on val · ${String(f.rollouts)} rollouts · $${Number(f.spent_usd).toFixed(4)}${cap}\n`;
    }
    case "optimize_end":
      return `${at} optimize: stopped (${String(f.stop)}); winner #${String(f.winner)}, ${f.significant ? "a significant gain" : "no significant gain"} on the sealed test\n`;
    default:
      return undefined;
  }
}
