/** What a reader yields: a row as parsed, or a problem at a line. */
export type RawRow =
  | { kind: "json"; line: number; value: Record<string, unknown> }
  | { kind: "csv"; line: number; header: readonly string[]; values: string[] };

export interface RowProblem {
  kind: "problem";
  line: number;
  message: string;
}

export type ReaderOutput = RawRow | RowProblem;
