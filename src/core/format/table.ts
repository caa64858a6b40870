/** Text laid out in cells: tables for the terminal and for Markdown, and a bar. */

/**
 * Columns padded to their widest cell, two spaces apart, as lines without trailing blanks; the
 * columns listed in `right` (numbers) are aligned right.
 */
export function alignedTable(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** A GitHub-flavoured Markdown table, pipes in cells escaped; the columns in `right` aligned right. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string[] {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
  const rule = header.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [line(header), `|${rule.join("|")}|`, ...rows.map(line)];
}

/** A bar `█████░░░░░` of `width` cells, filled to `fraction`. */
export function textBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}
