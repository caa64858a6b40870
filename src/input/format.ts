import { extname } from "node:path";

export const INPUT_FORMATS = ["jsonl", "csv", "tsv"] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

const BY_EXTENSION: Record<string, InputFormat> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "jsonl",
  ".csv": "csv",
  ".tsv": "tsv",
};

/** The input's format from `--format`, else its extension; stdin (`-`) defaults to JSONL. */
export function detectInputFormat(path: string, explicit?: string): InputFormat | undefined {
  if (explicit !== undefined) {
    return (INPUT_FORMATS as readonly string[]).includes(explicit) ? (explicit as InputFormat) : undefined;
  }
  if (path === "-") return "jsonl";
  return BY_EXTENSION[extname(path).toLowerCase()];
}
