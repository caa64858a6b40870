import { formatCount, formatShare } from "../../core/format/number.js";
import { alignedTable } from "../../core/format/table.js";
import { shortLabel } from "../summary.js";
import type { EvalComparison } from "./compare-evals.js";

/** Flipped rows listed in the text (all of them are in `--json`). */
const MAX_FLIPS_SHOWN = 50;

/** The comparison as people read it: a line per cell, the flipped rows, and the verdict. */
export function renderComparison(comparison: EvalComparison): string {
  const header = [
    "PROMPT",
    "PROVIDER",
    "PAIRED",
    "BEFORE",
    "AFTER",
    "CHANGE",
    "LOST",
    "GAINED",
    "P (McNEMAR)",
  ];
  const rows = comparison.cells.map((cell) => [
    shortLabel(cell.prompt),
    shortLabel(cell.provider),
    formatCount(cell.paired),
    formatShare(cell.pass_rate_before),
    formatShare(cell.pass_rate_after),
    cell.change === null ? "n/a" : `${cell.change > 0 ? "+" : ""}${Math.round(cell.change * 100)} pts`,
    formatCount(cell.regressions),
    formatCount(cell.improvements),
    `${cell.p_value < 0.001 ? "<0.001" : cell.p_value.toFixed(3)}${cell.significant_regression ? " *" : ""}`,
  ]);
  const lines = [
    `eval compare ${comparison.before} → ${comparison.after}`,
    ...alignedTable([header, ...rows], [2, 3, 4, 5, 6, 7, 8]),
  ];
  if (comparison.flips.length > 0) {
    lines.push(`flipped rows (${formatCount(comparison.flips.length)}):`);
    for (const flip of comparison.flips.slice(0, MAX_FLIPS_SHOWN)) {
      lines.push(
        `  ${flip.test} · ${shortLabel(flip.prompt)} · ${shortLabel(flip.provider)}${flip.repeat > 0 ? ` · repeat ${flip.repeat}` : ""}: ${flip.from} → ${flip.to}`,
      );
    }
    if (comparison.flips.length > MAX_FLIPS_SHOWN) {
      lines.push(
        `  … and ${formatCount(comparison.flips.length - MAX_FLIPS_SHOWN)} more (--json lists them all)`,
      );
    }
  } else {
    lines.push("no row changed its verdict");
  }
  if (comparison.only_before > 0 || comparison.only_after > 0) {
    lines.push(
      `unpaired: ${formatCount(comparison.only_before, "row")} only in ${comparison.before}, ${formatCount(comparison.only_after, "row")} only in ${comparison.after}`,
    );
  }
  const fell = comparison.cells.filter((cell) => cell.significant_regression);
  lines.push(
    fell.length === 0
      ? "no significant regression (paired McNemar test, p < 0.05)"
      : fell
          .map(
            (cell) =>
              `significant regression: ${shortLabel(cell.prompt)} × ${shortLabel(cell.provider)} ${formatShare(cell.pass_rate_before)} → ${formatShare(cell.pass_rate_after)} (p = ${cell.p_value.toFixed(3)})`,
          )
          .join("\n"),
  );
  return `${lines.join("\n")}\n`;
}
