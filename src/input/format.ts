import { extname } from "node:path";
import { UsageError } from "../core/errors.js";

export const INPUT_FORMATS = ["jsonl", "csv", "tsv"] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** `.json` is read as JSON Lines, or as one JSON array of rows when it starts with `[`. */
const BY_EXTENSION: Record<string, InputFormat> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "jsonl",
  ".csv": "csv",
  ".tsv": "tsv",
};

/** The input's format from `--format` (`json` names JSON Lines too), else its extension; stdin (`-`) defaults to JSONL. */
export function detectInputFormat(path: string, explicit?: string): InputFormat | undefined {
  if (explicit !== undefined) {
    if (explicit === "json") return "jsonl";
    return (INPUT_FORMATS as readonly string[]).includes(explicit) ? (explicit as InputFormat) : undefined;
  }
  if (path === "-") return "jsonl";
  return BY_EXTENSION[extname(path).toLowerCase()];
}

/** `--delimiter`: one character; `tab` and `\t` name the tab. */
export function inputDelimiter(text: string): string {
  const delimiter = text === "tab" || text === "\\t" ? "\t" : text;
  if ([...delimiter].length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new UsageError(
      `--delimiter must be one character other than a quote or a line break (e.g. ';', '|', tab), got "${text}"`,
    );
  }
  return delimiter;
}
