import type { EvalRow } from "../eval-row.js";
import type { EvalSummary } from "../summary.js";

/** One output file of an eval, written as rows arrive (in the store's order). */
export interface EvalOutputWriter {
  /** `json` is the row as the `.jsonl` contract writes it (`evalRowJson`), made once for every file. */
  add(row: EvalRow, json: string): Promise<void>;
  /** Writes what needs the whole eval (the summary, counts) and puts the file in place. */
  finish(summary: EvalSummary): Promise<void>;
  /** Gives up: removes the temporary files; the file at the path, if any, is left as it was. */
  abort(): Promise<void>;
}
