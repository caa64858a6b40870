import { extname } from "node:path";

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
