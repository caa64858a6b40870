import { formatUsd } from "../core/format/usd.js";
import { CSP, escapeHtml, STYLE } from "../eval/output/html-report.js";
import { type OptimizeSummary, summaryLines } from "./optimize-report.js";
import type { Candidate, SearchPoint } from "./search.js";

const W = 640;
const H = 300;
const PAD = { left: 56, right: 16, top: 16, bottom: 44 };

/**
 * `--report opt.html`: one self-contained page (eval's policy: nothing fetched, inline style only,
 * no script) — the end report, a plot of the best val score against dollars (and rollouts, on the
 * points' titles), and every candidate with its parent, scores, decision and why.
 */
export function htmlReport(
  title: string,
  s: OptimizeSummary,
  candidates: readonly Candidate[],
  path: readonly SearchPoint[],
): string {
  const rows = candidates
    .map(
      (c) =>
        `<tr class="candidate ${c.decision}"><td class="num">${c.id}</td><td class="num">${c.parent ?? ""}</td><td class="num">${c.step}</td><td class="num">${c.minibatch ? `${c.minibatch.parent_score} → ${c.minibatch.score ?? "—"}` : ""}</td><td class="num">${c.val_score === null ? "" : pct(c.val_score)}</td><td>${c.decision}</td><td>${escapeHtml(c.reason)}</td><td><pre>${escapeHtml(c.prompt.system === undefined ? c.prompt.template : `[system] ${c.prompt.system}\n[template] ${c.prompt.template}`)}</pre></td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}
tr.candidate.best td{background:#e8f6e8}tr.candidate.rejected td{color:#666}
svg text{font:11px system-ui,sans-serif;fill:#333}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<ul id="summary">${summaryLines(s)
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join("")}</ul>
<h2>Best val score against dollars</h2>
${plot(path)}
<h2>Candidates</h2>
<table id="candidates"><thead><tr><th>#</th><th>parent</th><th>step</th><th>minibatch (parent → child)</th><th>val</th><th>decision</th><th>why</th><th>prompt</th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** An SVG step line: the best val score so far (y, 0–100%) against the logical dollars used (x). */
function plot(path: readonly SearchPoint[]): string {
  const maxUsd = Math.max(1e-9, ...path.map((p) => p.usd));
  const x = (usd: number) => PAD.left + (usd / maxUsd) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v) * (H - PAD.top - PAD.bottom);
  let line = "";
  let last: number | undefined;
  for (const p of path) {
    const v = p.best_val ?? 0;
    line += last === undefined ? `M${f(x(p.usd))},${f(y(v))}` : `H${f(x(p.usd))}V${f(y(v))}`;
    last = v;
  }
  const changes = path.filter((p, i) => i === 0 || p.best !== path[i - 1]?.best);
  const points = changes
    .map(
      (p) =>
        `<circle class="best" cx="${f(x(p.usd))}" cy="${f(y(p.best_val ?? 0))}" r="4" fill="#176b17"><title>candidate #${p.best}: val ${pct(p.best_val ?? 0)} after ${p.rollouts} rollouts and ${escapeHtml(formatUsd(p.usd))}</title></circle>`,
    )
    .join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#eee"/><text x="${PAD.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${pct(t)}</text>`,
    )
    .join("");
  const xTicks = [0, 0.5, 1]
    .map(
      (t) =>
        `<text x="${f(x(t * maxUsd))}" y="${H - PAD.bottom + 16}" text-anchor="middle">${escapeHtml(formatUsd(t * maxUsd))}</text>`,
    )
    .join("");
  return `<svg id="plot" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="best val score against dollars">${ticks}${xTicks}<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999"/><line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#999"/><path d="${line}" fill="none" stroke="#176b17" stroke-width="2"/>${points}<text x="${f((W + PAD.left) / 2)}" y="${H - 8}" text-anchor="middle">dollars used (task + proposer + judge)</text></svg>`;
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const f = (n: number) => n.toFixed(1);
