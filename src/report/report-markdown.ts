import { formatCount, formatRate, formatShare } from "../core/format/number.js";
import { markdownTable } from "../core/format/table.js";
import { formatDuration, formatLatency } from "../core/format/time.js";
import { formatUsd } from "../core/format/usd.js";
import type { GroupReport, RunReport } from "./run-report.js";

/** The run report as Markdown tables, readable in a CI log and in a pull request. */
export function renderReportMarkdown(report: RunReport): string {
  const { items, usage } = report;
  const out: string[] = [`## metasync run report: \`${report.run_id}\``, ""];
  out.push(
    ...markdownTable(
      ["items", "ok", "failed", "pending", "from cache"],
      [[items.total, items.ok, items.failed, items.pending, items.from_cache].map((n) => formatCount(n))],
      [1, 2, 3, 4],
    ),
    "",
  );
  const facts: [string, string][] = [
    ["cost", costText(report)],
    [
      "tokens",
      `${formatCount(usage.input_tokens)} input (${formatCount(usage.cached_tokens)} cached) · ${formatCount(usage.output_tokens)} output`,
    ],
    [
      "latency",
      `p50 ${formatLatency(report.latency_ms.p50)} · p95 ${formatLatency(report.latency_ms.p95)} · p99 ${formatLatency(report.latency_ms.p99)}`,
    ],
    ...(report.batch
      ? ([
          [
            "provider batches",
            `${formatCount(report.batch.items)} items at the batch price: ${formatUsd(report.batch.cost_usd)}` +
              (report.batch.live_cost_usd === null
                ? ""
                : ` (live: ${formatUsd(report.batch.live_cost_usd)}; saved ${formatUsd(report.batch.saving_usd)})`),
          ],
        ] as [string, string][])
      : []),
    ["retries", formatCount(report.retries)],
    ["wall time", report.wall_s === null ? "unknown" : formatDuration(report.wall_s * 1000, "fine")],
    [
      "throughput",
      report.throughput.items_per_s === null
        ? "n/a"
        : `${formatRate(report.throughput.items_per_s)} items/s · ${formatCount(report.throughput.tokens_per_min ?? 0)} tokens/min`,
    ],
  ];
  out.push(...markdownTable(["", ""], facts, []), "");

  if (report.unpriced_models.length > 0) {
    out.push(
      `> **Cost unknown** for ${report.unpriced_models.map((m) => `\`${m}\``).join(", ")}: no price in the table. Add one with \`--prices FILE\`.`,
      "",
    );
  }
  out.push(...groupSection("By model", "model", report.by_model));
  if (report.by_rule) out.push(...groupSection("By router rule", "rule", report.by_rule));
  out.push(...groupSection("By key", "key", report.by_key));
  const errors = Object.entries(report.errors);
  if (errors.length > 0) {
    out.push(
      "### Errors",
      "",
      ...markdownTable(
        ["type", "items"],
        errors.map(([type, n]) => [type, formatCount(n)]),
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
      formatCount(k.requests),
      formatShare(k.success_rate),
      formatLatency(k.latency_ema_ms),
    ]);
    out.push(
      "### Keys",
      "",
      ...markdownTable(["key", "provider", "state", "requests", "success", "latency (EMA)"], rows, [3, 4, 5]),
      "",
    );
  }
  if (report.budget) {
    const rows = Object.entries(report.budget).map(([scope, use]) => [
      scope,
      limit(use.rpm.limit),
      use.rpm.used === null ? "n/a" : formatCount(use.rpm.used),
      formatShare(use.rpm.share),
      limit(use.tpm.limit),
      use.tpm.used === null ? "n/a" : formatCount(use.tpm.used),
      formatShare(use.tpm.share),
    ]);
    out.push(
      "### Budget",
      "",
      ...markdownTable(
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
    formatCount(g.items),
    formatCount(g.ok),
    formatCount(g.failed),
    formatCount(g.input_tokens),
    formatCount(g.output_tokens),
    g.cost_usd !== null
      ? formatUsd(g.cost_usd)
      : g.cost_usd_known > 0
        ? `unknown (${formatUsd(g.cost_usd_known)} known)`
        : "unknown",
  ]);
  return [
    `### ${title}`,
    "",
    ...markdownTable(
      [label, "items", "ok", "failed", "input tokens", "output tokens", "cost"],
      rows,
      [1, 2, 3, 4, 5, 6],
    ),
    "",
  ];
}

function limit(n: number | null): string {
  return n === null ? "unknown" : formatCount(n);
}

/** `$0.42`, or `$0.42 + unknown (no price for openai:x)` when some costs are unknown. */
function costText(report: RunReport): string {
  if (report.cost_usd !== null) return formatUsd(report.cost_usd);
  const models = report.unpriced_models.join(", ");
  return report.cost_usd_known > 0
    ? `${formatUsd(report.cost_usd_known)} + unknown (no price for ${models})`
    : `unknown (no price for ${models})`;
}
