import { formatUsd } from "../cost/usd.js";
import { costText, count, latency, seconds } from "./report-format.js";
import type { GroupReport, RunReport } from "./run-report.js";

/** The run report as Markdown tables, readable in a CI log and in a pull request. */
export function renderReportMarkdown(report: RunReport): string {
  const { items, usage } = report;
  const out: string[] = [`## metasync run report: \`${report.run_id}\``, ""];
  out.push(
    ...table(
      ["items", "ok", "failed", "pending", "from cache"],
      [[items.total, items.ok, items.failed, items.pending, items.from_cache].map(count)],
      [1, 2, 3, 4],
    ),
    "",
  );
  const facts: [string, string][] = [
    ["cost", costText(report)],
    [
      "tokens",
      `${count(usage.input_tokens)} input (${count(usage.cached_tokens)} cached) · ${count(usage.output_tokens)} output`,
    ],
    [
      "latency",
      `p50 ${latency(report.latency_ms.p50)} · p95 ${latency(report.latency_ms.p95)} · p99 ${latency(report.latency_ms.p99)}`,
    ],
    ["retries", count(report.retries)],
    ["wall time", seconds(report.wall_s)],
    [
      "throughput",
      report.throughput.items_per_s === null
        ? "n/a"
        : `${report.throughput.items_per_s} items/s · ${count(report.throughput.tokens_per_min ?? 0)} tokens/min`,
    ],
  ];
  out.push(...table(["", ""], facts, []), "");

  if (report.unpriced_models.length > 0) {
    out.push(
      `> **Cost unknown** for ${report.unpriced_models.map((m) => `\`${m}\``).join(", ")}: no price in the table. Add one with \`--prices FILE\`.`,
      "",
    );
  }
  out.push(...groupSection("By model", "model", report.by_model));
  out.push(...groupSection("By key", "key", report.by_key));
  const errors = Object.entries(report.errors);
  if (errors.length > 0) {
    out.push(
      "### Errors",
      "",
      ...table(
        ["type", "items"],
        errors.map(([type, n]) => [type, count(n)]),
        [1],
      ),
      "",
    );
  }
  if (report.keys && Object.keys(report.keys).length > 0) {
    const rows = Object.entries(report.keys).map(([key, k]) => [
      key,
      k.provider,
      k.state + (k.reason ? ` (${k.reason})` : ""),
      count(k.requests),
      share(k.success_rate),
      k.latency_ema_ms === null ? "n/a" : `${Math.round(k.latency_ema_ms)} ms`,
    ]);
    out.push(
      "### Keys",
      "",
      ...table(["key", "provider", "state", "requests", "success", "latency (EMA)"], rows, [3, 4, 5]),
      "",
    );
  }
  if (report.budget) {
    const rows = Object.entries(report.budget).map(([scope, use]) => [
      scope,
      limit(use.rpm.limit),
      use.rpm.used === null ? "n/a" : count(use.rpm.used),
      share(use.rpm.share),
      limit(use.tpm.limit),
      use.tpm.used === null ? "n/a" : count(use.tpm.used),
      share(use.tpm.share),
    ]);
    out.push(
      "### Budget",
      "",
      ...table(
        ["scope", "rpm limit", "rpm used", "rpm %", "tpm limit", "tpm used", "tpm %"],
        rows,
        [1, 2, 3, 4, 5, 6],
      ),
      "",
      "Used is the average per minute of wall time.",
      "",
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function groupSection(title: string, label: string, groups: Record<string, GroupReport>): string[] {
  const entries = Object.entries(groups);
  if (entries.length === 0) return [];
  const rows = entries.map(([name, g]) => [
    `\`${name}\``,
    count(g.items),
    count(g.ok),
    count(g.failed),
    count(g.input_tokens),
    count(g.output_tokens),
    g.cost_usd !== null
      ? formatUsd(g.cost_usd)
      : g.cost_usd_known > 0
        ? `unknown (${formatUsd(g.cost_usd_known)} known)`
        : "unknown",
  ]);
  return [
    `### ${title}`,
    "",
    ...table(
      [label, "items", "ok", "failed", "input tokens", "output tokens", "cost"],
      rows,
      [1, 2, 3, 4, 5, 6],
    ),
    "",
  ];
}

/** A GitHub-flavoured Markdown table; `right` lists the columns to right-align. */
function table(header: string[], rows: string[][], right: number[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const rule = header.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [line(header), `|${rule.join("|")}|`, ...rows.map(line)];
}

function limit(n: number | null): string {
  return n === null ? "unknown" : count(n);
}

function share(fraction: number | null): string {
  return fraction === null ? "n/a" : `${Math.round(fraction * 100)}%`;
}
