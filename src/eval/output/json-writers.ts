import { writeFileAtomically } from "../../output/atomic-file.js";
import type { EvalRow } from "../eval-row.js";
import type { EvalSummary } from "../summary.js";
import { Spool, StreamedFile } from "./file-sinks.js";
import type { EvalOutputWriter } from "./writer.js";

/** `.jsonl`: one row per line, the contract's fields in its order, written as the rows arrive. */
export async function openJsonlWriter(path: string): Promise<EvalOutputWriter> {
  const file = await StreamedFile.open(path);
  return {
    add: (_row: EvalRow, json: string) => file.write(`${json}\n`),
    finish: () => file.close(),
    abort: () => file.discard(),
  };
}

/**
 * `.json`: `{"summary": …, "rows": [ … ]}`, the summary first so that a reader sees it at the top.
 * The rows are spooled to disk as they arrive and copied under the summary at the end: never all in
 * memory, never one `JSON.stringify` of everything.
 */
export async function openJsonWriter(path: string): Promise<EvalOutputWriter> {
  const rows = await Spool.open(path);
  let count = 0;
  return {
    add: (_row: EvalRow, json: string) => rows.write(`${count++ === 0 ? "" : ",\n"}    ${json}`),
    async finish(summary: EvalSummary) {
      try {
        await writeFileAtomically(path, async (out) => {
          const summaryJson = JSON.stringify(summary, null, 2).replace(/\n/g, "\n  ");
          await out.write(`{\n  "summary": ${summaryJson},\n  "rows": [`);
          if (count > 0) {
            await out.write("\n");
            await rows.copyTo(out);
            await out.write("\n  ");
          }
          await out.write("]\n}\n");
        });
      } finally {
        await rows.remove();
      }
    },
    abort: () => rows.remove(),
  };
}
