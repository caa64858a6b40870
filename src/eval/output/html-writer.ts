import { writeFileAtomically } from "../../output/atomic-file.js";
import type { EvalRow } from "../eval-row.js";
import type { EvalSummary } from "../summary.js";
import { Spool } from "./file-sinks.js";
import { reportHead, reportRow, reportTail } from "./html-report.js";
import type { EvalOutputWriter } from "./writer.js";

/**
 * `.html`: one self-contained page (inline style and script, a policy that forbids any fetch): the
 * prompt × provider matrix, a filter for failing rows, and every row. The rows are spooled to disk as
 * they arrive and copied under the matrix, which needs the whole eval, at the end.
 */
export async function openHtmlWriter(path: string, title: string): Promise<EvalOutputWriter> {
  const rows = await Spool.open(path);
  return {
    async add(row: EvalRow) {
      await rows.write(reportRow(row));
    },
    async finish(summary: EvalSummary) {
      try {
        await writeFileAtomically(path, async (out) => {
          await out.write(reportHead(title, summary));
          await rows.copyTo(out);
          await out.write(reportTail());
        });
      } finally {
        await rows.remove();
      }
    },
    abort: () => rows.remove(),
  };
}
