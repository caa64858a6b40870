import { extname } from "node:path";
import { UsageError } from "../core/errors.js";

/** The formats a run report is written in: `metasync report --format`, and `--report FILE` by extension. */
export const REPORT_FORMATS = ["md", "json"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The format a report file's name asks for (`.json`, `.md`, `.markdown`); undefined for any other. */
export function reportFormatOf(path: string): ReportFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".json") return "json";
  if (extension === ".md" || extension === ".markdown") return "md";
  return undefined;
}

/** Extensions of formats a report is not written in, which a file of Markdown or JSON must not wear. */
const OTHER_FORMATS: Readonly<Record<string, string>> = {
  ".html": "HTML",
  ".htm": "HTML",
  ".pdf": "PDF",
  ".csv": "CSV",
  ".jsonl": "JSON Lines",
  ".ndjson": "JSON Lines",
};

/**
 * Refuses a report file whose name says one format while it would hold another: `r.html` (reports
 * are Markdown or JSON, never HTML under an `.html` name), or `r.json` with `--format md`. A name
 * without a known extension takes the format asked for.
 */
export function checkReportName(path: string, format: ReportFormat | undefined): void {
  const extension = extname(path).toLowerCase();
  const other = OTHER_FORMATS[extension];
  if (other !== undefined) {
    throw new UsageError(
      `${path}: a report is written as Markdown (.md) or JSON (.json), not ${other}; name the file .md or .json`,
    );
  }
  const named = reportFormatOf(path);
  if (named !== undefined && format !== undefined && named !== format) {
    const wanted = format === "md" ? "Markdown" : "JSON";
    throw new UsageError(
      `${path}: --format ${format} would write ${wanted} under a ${extension} name; drop --format or name the file .${format}`,
    );
  }
}
