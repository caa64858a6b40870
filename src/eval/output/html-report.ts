import { formatCount, formatShare } from "../../core/format/number.js";
import { formatUsd } from "../../core/format/usd.js";
import type { EvalRow } from "../eval-row.js";
import type { EvalSummary, EvalTotals } from "../summary.js";

/** Text as HTML: every character that could start markup or end an attribute is escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's policy: nothing may be fetched (no network at all, not even an image); only its own
 * inline style and script run.
 */
export const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;background:#fff}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}.num{text-align:right}
#matrix td{min-width:9rem}.rate{font-weight:600;font-size:1.1rem}.ci,.cost{color:#555;font-size:.85rem;display:block}
.good{background:#e8f6e8}.mid{background:#fdf5dc}.bad{background:#fbe4e4}
tr.pass td.status{color:#176b17}tr.fail td.status{color:#a31515}tr.error td.status{color:#8a5a00}
pre{margin:0;white-space:pre-wrap;word-break:break-word;max-width:40rem;font-size:.85rem}
ul.reasons{margin:0;padding-left:1.1rem}li.ok{color:#176b17}li.no{color:#a31515}
body.failing-only tr.row.pass{display:none}
#controls{margin:1rem 0 .5rem}
`;

const SCRIPT = `
(function(){
  var box=document.getElementById('failing-only');
  var shown=document.getElementById('shown');
  var rows=document.querySelectorAll('tr.row');
  function update(){
    document.body.classList.toggle('failing-only',box.checked);
    var n=0;for(var i=0;i<rows.length;i++){if(!box.checked||!rows[i].classList.contains('pass'))n++;}
    shown.textContent='showing '+n+' of '+rows.length+' rows';
  }
  box.addEventListener('change',update);update();
})();
`;

/** The page up to the rows: the title, the totals, the prompt × provider matrix and the filter. */
export function reportHead(title: string, summary: EvalSummary): string {
  const prompts = unique(summary.cells.map((c) => c.prompt));
  const providers = unique(summary.cells.map((c) => c.provider));
  const cellOf = new Map(summary.cells.map((c) => [JSON.stringify([c.prompt, c.provider]), c]));
  const header = `<tr><th>prompt \\ provider</th>${providers.map((p) => `<th>${escapeHtml(p)}</th>`).join("")}</tr>`;
  const body = prompts
    .map((prompt) => {
      const cells = providers.map((provider) => {
        const cell = cellOf.get(JSON.stringify([prompt, provider]));
        return cell ? matrixCell(cell, prompt, provider) : "<td>—</td>";
      });
      return `<tr><th>${escapeHtml(prompt)}</th>${cells.join("")}</tr>`;
    })
    .join("\n");
  const o = summary.overall;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p id="totals">${formatCount(o.rows, "row")}: ${formatCount(o.pass)} pass, ${formatCount(o.fail)} fail, ${formatCount(o.error)} error · pass rate ${rateText(o)} · cost ${costText(o)} · grading ${formatUsd(o.grading_cost_usd)}</p>
<h2>Pass rate by prompt × provider</h2>
<table id="matrix"><thead>${header}</thead><tbody>
${body}
</tbody></table>
<h2>Rows</h2>
<div id="controls"><label><input type="checkbox" id="failing-only"> failing rows only</label> <span id="shown"></span></div>
<table id="rows"><thead><tr><th>test</th><th>description</th><th>prompt</th><th>provider</th><th>repeat</th><th>status</th><th>vars</th><th>output</th><th>assertions</th></tr></thead><tbody>
`;
}

/** One row of the rows table; everything the model or the config wrote is escaped. */
export function reportRow(row: EvalRow): string {
  const reasons =
    row.assertions.length > 0
      ? `<ul class="reasons">${row.assertions
          .map(
            (a) =>
              `<li class="${a.pass ? "ok" : "no"}">${escapeHtml(a.type)}: ${a.pass ? "pass" : "fail"} (${round(a.score)}) — ${escapeHtml(a.reason)}</li>`,
          )
          .join("")}</ul>`
      : escapeHtml(row.error ? `${row.error.type}: ${row.error.message}` : row.reason);
  return `<tr class="row ${row.status}"><td class="num">${row.test}</td><td>${escapeHtml(row.description ?? "")}</td><td>${escapeHtml(row.prompt)}</td><td>${escapeHtml(row.provider)}</td><td class="num">${row.repeat}</td><td class="status">${row.status}</td><td><pre>${escapeHtml(JSON.stringify(row.vars, null, 2))}</pre></td><td><pre>${escapeHtml(row.output ?? "")}</pre></td><td>${reasons}</td></tr>\n`;
}

/** The end of the page: the filter's script. */
export function reportTail(): string {
  return `</tbody></table>\n<script>${SCRIPT}</script>\n</body></html>\n`;
}

function matrixCell(cell: EvalTotals, prompt: string, provider: string): string {
  const rate = cell.pass_rate;
  const tone = rate === null ? "" : rate >= 0.9 ? "good" : rate >= 0.5 ? "mid" : "bad";
  const ci = cell.pass_rate_ci95;
  return `<td class="cell ${tone}" data-prompt="${escapeHtml(prompt)}" data-provider="${escapeHtml(provider)}"><span class="rate">${formatShare(rate)}</span><span class="ci">95% CI ${ci ? `${formatShare(ci.low)}–${formatShare(ci.high)}` : "n/a"} · ${formatCount(cell.pass)}/${formatCount(cell.rows)}</span><span class="cost">${costText(cell)}${cell.grading_cost_usd > 0 ? ` + grading ${formatUsd(cell.grading_cost_usd)}` : ""}</span></td>`;
}

function rateText(t: EvalTotals): string {
  if (t.pass_rate === null || t.pass_rate_ci95 === null) return "n/a";
  return `${formatShare(t.pass_rate)} [${formatShare(t.pass_rate_ci95.low)}, ${formatShare(t.pass_rate_ci95.high)}]`;
}

function costText(t: EvalTotals): string {
  if (t.cost_usd !== null) return formatUsd(t.cost_usd);
  return t.cost_usd_known > 0 ? `${formatUsd(t.cost_usd_known)} + unknown` : "cost unknown";
}

function round(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
