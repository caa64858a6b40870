import { extname } from "node:path";
import { UsageError } from "../core/errors.js";
import { checkDistinctOutputs, type NamedFile } from "../output/distinct-paths.js";
import { checkWritable } from "../output/write-results.js";
import type { EvalRow } from "./eval-row.js";
import { openCsvWriter } from "./output/csv-writer.js";
import { openHtmlWriter } from "./output/html-writer.js";
import { openJsonlWriter, openJsonWriter } from "./output/json-writers.js";
import { openJunitWriter } from "./output/junit-writer.js";
import { openMarkdownWriter } from "./output/markdown-writer.js";
import { evalRowJson } from "./output/row-json.js";
import type { EvalOutputWriter } from "./output/writer.js";
import type { EvalSummary } from "./summary.js";

export type EvalOutputFormat = "jsonl" | "json" | "csv" | "md" | "xml" | "html";

const FORMATS: Record<string, EvalOutputFormat> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "json",
  ".csv": "csv",
  ".md": "md",
  ".xml": "xml",
  ".html": "html",
  ".htm": "html",
};

/** The extensions `-o` takes, as a message lists them. */
export const EVAL_OUTPUT_EXTENSIONS = [".jsonl", ".json", ".csv", ".md", ".xml", ".html"] as const;

/** An output file's format from its extension (any case); a UsageError for one metasync does not write. */
export function evalOutputFormatOf(path: string): EvalOutputFormat {
  const extension = extname(path).toLowerCase();
  const format = FORMATS[extension];
  if (format) return format;
  throw new UsageError(
    `${path}: unknown output format${extension ? ` ${extension}` : ""}; -o takes ${EVAL_OUTPUT_EXTENSIONS.join(", ")}`,
  );
}

/**
 * Checks an output file can be written, before anything is sent: a known extension, and a directory
 * that exists and is writable.
 */
export function checkEvalOutputPath(path: string): void {
  evalOutputFormatOf(path);
  checkWritable(path, "the output file");
}

/**
 * Checks every `-o` path, that no two name the same file, and that none is a file the eval reads or
 * keeps (`kept`: the config, the tests file, the state database, each with how the user named it).
 */
export function checkEvalOutputPaths(paths: readonly string[], kept: readonly NamedFile[] = []): void {
  for (const path of paths) checkEvalOutputPath(path);
  checkDistinctOutputs(
    paths.map((path) => ({ path, label: "-o" })),
    kept,
  );
}

export interface EvalOutputOptions {
  /** Every var name of the eval's tests, in the order the CSV's `var:<name>` columns take. */
  varNames: readonly string[];
  /** The title of the Markdown file and the JUnit `<testsuites>` (the config's description). */
  title?: string | undefined;
}

/** The `-o` files of an eval, written together as the rows arrive. */
export interface EvalOutputs {
  /**
   * Writes a row to every file; await it before adding the next (rows in the store's order). `json`
   * is the row's contract JSON when the caller has made it already (`evalRowJson`).
   */
  add(row: EvalRow, json?: string): Promise<void>;
  /** Writes the summary and what needs the whole eval, and puts every file in place. */
  finish(summary: EvalSummary): Promise<void>;
  /** Removes the temporary files; the files at the paths are left as they were. */
  abort(): Promise<void>;
}

/**
 * Opens the output files, chosen by extension (`checkEvalOutputPaths` first). Each is written into a
 * temporary file or spooled beside it, and appears at its path, whole, only when `finish` is done.
 */
export async function openEvalOutputs(
  paths: readonly string[],
  options: EvalOutputOptions,
): Promise<EvalOutputs> {
  checkEvalOutputPaths(paths);
  const title = options.title ?? "metasync eval";
  const writers: EvalOutputWriter[] = [];
  try {
    for (const path of paths) writers.push(await openWriter(path, evalOutputFormatOf(path), options, title));
  } catch (error) {
    await Promise.allSettled(writers.map((writer) => writer.abort()));
    throw error;
  }
  return {
    async add(row, json = evalRowJson(row)) {
      await Promise.all(writers.map((writer) => writer.add(row, json)));
    },
    async finish(summary) {
      const results = await Promise.allSettled(writers.map((writer) => writer.finish(summary)));
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
    },
    async abort() {
      await Promise.allSettled(writers.map((writer) => writer.abort()));
    },
  };
}

function openWriter(
  path: string,
  format: EvalOutputFormat,
  options: EvalOutputOptions,
  title: string,
): Promise<EvalOutputWriter> {
  switch (format) {
    case "jsonl":
      return openJsonlWriter(path);
    case "json":
      return openJsonWriter(path);
    case "csv":
      return openCsvWriter(path, options.varNames);
    case "md":
      return openMarkdownWriter(path, title);
    case "xml":
      return openJunitWriter(path, title);
    case "html":
      return openHtmlWriter(path, title);
  }
}
