import { parse } from "csv-parse/sync";
import type { ConfigFile } from "../../config/yaml-config.js";
import { type CheckOptions, checkAssertion } from "../assertions/index.js";
import { assertionFromString } from "./assertion-string.js";
import type { RawTest } from "./test-case.js";
import type { AssertionSpec } from "./types.js";

/** A parsed CSV row with the line it starts on. */
interface CsvRow {
  line: number;
  values: Record<string, string>;
}

/** CSV columns promptfoo reads that metasync does not run. */
const UNSUPPORTED_COLUMNS = new Set(["__prefix", "__suffix", "__providerOutput"]);

/**
 * Tests from a CSV file as promptfoo reads them (`testCaseFromCsvRow` in its src/csv.ts): every
 * column is a var except `__expected…` (one assertion each, `assertionFromString`), `__description`,
 * `__threshold` (a number, else none), `__metric` (for every assertion of the row), `__metadata:key`
 * and `__metadata:key[]` (a comma list, `\,` escaped) and `__config:__expectedN:threshold`. A row
 * without a description is `Row #n`.
 */
export function csvTests(
  text: string,
  file: ConfigFile,
  context: { env: Readonly<Record<string, string | undefined>>; check: CheckOptions },
): RawTest[] | undefined {
  const rows = parseRows(text, file, context.env);
  if (rows === undefined) return undefined;
  const before = file.problems.length;
  const reported = new Set<string>();
  const tests = rows.map((row, index) => {
    const test = testFromRow(row, file, reported, context.check);
    test.description ??= `Row #${index + 1}`;
    return test;
  });
  return file.problems.length > before ? undefined : tests;
}

function parseRows(
  text: string,
  file: ConfigFile,
  env: Readonly<Record<string, string | undefined>>,
): CsvRow[] | undefined {
  const delimiter = env.PROMPTFOO_CSV_DELIMITER || ",";
  const strict = ["1", "true", "yes"].includes((env.PROMPTFOO_CSV_STRICT ?? "").toLowerCase());
  const attempt = (relaxQuotes: boolean) =>
    parse(text, { columns: true, bom: true, delimiter, relax_quotes: relaxQuotes, info: true }) as Array<{
      record: Record<string, string>;
      info: { lines: number };
    }>;
  let records: ReturnType<typeof attempt>;
  try {
    try {
      records = attempt(false);
    } catch (error) {
      if (strict) throw error;
      records = attempt(true);
    }
  } catch (error) {
    const { lines, message } = error as { lines?: number; message: string };
    file.problem({ line: lines }, `malformed CSV: ${message.replace(/,? (on|at) line \d+$/, "")}`);
    return undefined;
  }
  let previousEnd = 1;
  return records.map(({ record, info }) => {
    const row = { line: previousEnd + 1, values: record };
    previousEnd = info.lines;
    return row;
  });
}

function testFromRow(row: CsvRow, file: ConfigFile, reported: Set<string>, check: CheckOptions): RawTest {
  const vars: Record<string, string> = {};
  const assert: AssertionSpec[] = [];
  /** The column each assertion came from, to name it in problems. */
  const columns: string[] = [];
  const metadata: Record<string, unknown> = {};
  const configs = new Map<number, Record<string, number>>();
  let description: string | undefined;
  let metric: string | undefined;
  let threshold: number | undefined;
  const once = (column: string, message: string) => {
    if (reported.has(column)) return;
    reported.add(column);
    file.problem({ line: 1 }, message);
  };
  for (const [rawKey, value] of Object.entries(row.values)) {
    const key = rawKey.trim();
    if (key.startsWith("__expected")) {
      if (value.trim() === "") continue;
      try {
        assert.push(assertionFromString(value.trim()));
        columns.push(key);
      } catch (error) {
        file.problem({ line: row.line }, `column "${key}": ${(error as Error).message}`);
      }
    } else if (key === "__description") {
      description = value;
    } else if (key === "__metric") {
      metric = value;
    } else if (key === "__threshold") {
      threshold = finiteNumber(value);
    } else if (UNSUPPORTED_COLUMNS.has(key)) {
      if (value !== "") once(key, `column "${key}" is not supported`);
    } else if (key === "__metadata") {
      once(key, `column "__metadata" needs a key, e.g. "__metadata:category"`);
    } else if (key.startsWith("__metadata:")) {
      readMetadata(key.slice("__metadata:".length), value, metadata);
    } else if (key.startsWith("__config:")) {
      const problem = readConfigColumn(key, value, configs);
      if (problem) file.problem({ line: row.line }, problem);
    } else {
      vars[key] = value;
    }
  }
  assert.forEach((assertion, index) => {
    if (metric) assertion.metric = metric;
    for (const [name, value] of Object.entries(configs.get(index) ?? {})) {
      (assertion as unknown as Record<string, unknown>)[name] = value;
      // promptfoo copies each __config value into the test's metadata as well.
      metadata[name] = value;
    }
  });
  assert.forEach((assertion, index) => {
    const problem = checkAssertion(assertion, `column "${columns[index]}"`, check);
    if (problem) file.problem({ line: row.line }, problem);
  });
  const test: RawTest = { vars, assert, options: {} };
  if (description) test.description = description;
  // A cell that is not a number is no threshold (the test then takes defaultTest's); 0 is 0.
  if (threshold !== undefined) test.threshold = threshold;
  if (Object.keys(metadata).length > 0) test.metadata = metadata;
  return test;
}

function readMetadata(key: string, value: string, metadata: Record<string, unknown>): void {
  if (value.trim() === "") return;
  if (key.endsWith("[]")) {
    metadata[key.slice(0, -2)] = value
      .split(/(?<!\\),/)
      .map((item) => item.trim())
      .map((item) => item.replace("\\,", ","));
  } else {
    metadata[key] = value;
  }
}

/** `__config:__expected2:threshold` → the threshold of the row's second assertion; a problem otherwise. */
function readConfigColumn(key: string, value: string, configs: Map<number, Record<string, number>>) {
  const parts = key.slice("__config:".length).split(":");
  if (parts.length !== 2) {
    return `column "${key}": expected __config:__expected:threshold or __config:__expected<N>:threshold`;
  }
  const [target = "", name = ""] = parts;
  const numbered = /^__expected(\d+)$/.exec(target);
  if (target !== "__expected" && !numbered) {
    return `column "${key}": "${target}" must be __expected or __expected<N>`;
  }
  if (name !== "threshold") return `column "${key}": "${name}" is not a config key (known: threshold)`;
  // An empty cell sets nothing (promptfoo refuses it; a row without the setting is common).
  if (value.trim() === "") return undefined;
  const number = finiteNumber(value);
  if (number === undefined) return `column "${key}": "${value}" is not a number`;
  const index = numbered ? Number.parseInt(numbered[1] ?? "1", 10) - 1 : 0;
  configs.set(index, { ...configs.get(index), [name]: number });
  return undefined;
}

/** A whole numeric literal (`0.8`, `.5`, `-1`, `1e3`, ` 5 `), finite; anything else (`0abc`, `0,8`, `0x10`) is not. */
function finiteNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : undefined;
}
