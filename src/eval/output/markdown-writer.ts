import { formatCount } from "../../core/format/number.js";
import { markdownTable } from "../../core/format/table.js";
import { writeFileAtomically } from "../../output/atomic-file.js";
import type { EvalRow } from "../eval-row.js";
import { type EvalSummary, renderSummaryMarkdown } from "../summary.js";
import { Spool } from "./file-sinks.js";
import type { EvalOutputWriter } from "./writer.js";

const FAILING_HEADER = ["test", "description", "prompt", "provider", "repeat", "status", "reason", "output"];
/** test and repeat, aligned right. */
const RIGHT = [0, 4];
/** How much of an output a table cell shows. */
const OUTPUT_CHARS = 200;

/**
 * `.md`: the title, the summary table, then every row that failed or errored (spooled to disk as they
 * arrive, so a large eval's failures are never all in memory).
 */
export async function openMarkdownWriter(path: string, title: string): Promise<EvalOutputWriter> {
  const failing = await Spool.open(path);
  let count = 0;
  return {
    async add(row: EvalRow) {
      if (row.status === "pass") return;
      count += 1;
      await failing.write(`${markdownTable(FAILING_HEADER, [failingCells(row)], RIGHT)[2]}\n`);
    },
    async finish(summary: EvalSummary) {
      try {
        await writeFileAtomically(path, async (out) => {
          await out.write(`# ${cell(title)}\n\n${renderSummaryMarkdown(summary)}\n`);
          if (count === 0) {
            await out.write(`Every row passed (${formatCount(summary.overall.rows, "row")}).\n`);
            return;
          }
          await out.write(
            `## Failing rows (${formatCount(count)} of ${formatCount(summary.overall.rows)})\n\n`,
          );
          await out.write(`${markdownTable(FAILING_HEADER, [], RIGHT).join("\n")}\n`);
          await failing.copyTo(out);
        });
      } finally {
        await failing.remove();
      }
    },
    abort: () => failing.remove(),
  };
}

function failingCells(row: EvalRow): string[] {
  const reason = row.status === "error" && row.error ? `${row.error.type}: ${row.error.message}` : row.reason;
  const output = row.output ?? "";
  return [
    String(row.test),
    cell(row.description ?? ""),
    cell(row.prompt),
    cell(row.provider),
    String(row.repeat),
    row.status,
    cell(reason),
    cell(output.length > OUTPUT_CHARS ? `${output.slice(0, OUTPUT_CHARS)}…` : output),
  ];
}

/** Text for one line of Markdown: whitespace runs (line breaks too) become one space; `<`, `>`, `&` stay text. */
function cell(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}
