/**
 * Prometheus's text exposition format (version 0.0.4), as node_exporter's textfile collector reads
 * it: each family's `# HELP` and `# TYPE` lines, then its samples; no timestamps.
 */

/** Label names and values of one series, in the order they are written. Empty values are left out. */
export type Labels = Readonly<Record<string, string>>;

export interface ScalarFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  series: readonly { labels: Labels; value: number }[];
}

export interface HistogramFamily {
  name: string;
  help: string;
  type: "histogram";
  /** Upper bounds of the buckets, ascending; `+Inf` is added. */
  bounds: readonly number[];
  /** `counts[i]`: observations in bucket i alone (not cumulative); one more than `bounds` (+Inf). */
  series: readonly { labels: Labels; counts: readonly number[]; sum: number; count: number }[];
}

export type MetricFamily = ScalarFamily | HistogramFamily;

/** The families as one text file; families without a series are left out. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.series.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type === "histogram") {
      for (const series of family.series) {
        let cumulative = 0;
        family.bounds.forEach((bound, i) => {
          cumulative += series.counts[i] ?? 0;
          lines.push(
            sample(`${family.name}_bucket`, { ...series.labels, le: formatNumber(bound) }, cumulative),
          );
        });
        lines.push(sample(`${family.name}_bucket`, { ...series.labels, le: "+Inf" }, series.count));
        lines.push(sample(`${family.name}_sum`, series.labels, series.sum));
        lines.push(sample(`${family.name}_count`, series.labels, series.count));
      }
    } else {
      for (const series of family.series) lines.push(sample(family.name, series.labels, series.value));
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function sample(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels)
    .filter(([, text]) => text !== "")
    .map(([label, text]) => `${label}="${escapeLabel(text)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatNumber(value)}`;
}

/** A sample value or bound as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, or a float. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
