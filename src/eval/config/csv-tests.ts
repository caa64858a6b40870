import { isUtf8 } from "node:buffer";
import { parse } from "csv-parse/sync";
import type { ConfigFile } from "../../config/yaml-config.js";
import { type CheckOptions, checkAssertion } from "../assertions/index.js";
import { assertionFromString } from "./assertion-string.js";
import { readSimpleCsv } from "./csv-records.js";
import type { RawTest } from "./test-case.js";
import type { AssertionSpec } from "./types.js";

type Env = Readonly<Record<string, string | undefined>>;

/** CSV columns promptfoo reads that metasync does not run. */
const UNSUPPORTED_COLUMNS = new Set(["__prefix", "__suffix", "__providerOutput"]);

/**
 * Tests from a CSV file as promptfoo reads them (`testCaseFromCsvRow` in its src/csv.ts), each given
 * to `context.add` as it is read: every column is a var except `__expected…` (one assertion each,
 * `assertionFromString`), `__description`, `__threshold` (a number, else none), `__metric` (for every
 * assertion of the row), `__metadata:key` and `__metadata:key[]` (a comma list, `\,` escaped) and
 * `__config:__expectedN:threshold`. A row without a description is `Row #n`. A file with a problem
 * gives its problems (each at its line) and no tests.
 *
 * A plain file is read by a fast reader; a file it does not read is read with csv-parse, and so is a
 * file with a problem (csv-parse knows each record's line): then the config is refused, so the tests
 * the fast reader gave before the problem do not matter.
 */
export function csvTests(bytes: Buffer, file: ConfigFile, context: CsvContext): void {
  // The fast reader reads the bytes csv-parse would read: the text, encoded again (invalid UTF-8
  // was replaced when it was decoded).
  const utf8 = isUtf8(bytes) ? bytes : Buffer.from(bytes.toString("utf8"));
  const quick = quickCsvTests(utf8, context);
  if (quick === "read") return;
  const parsed = parseRows(bytes.toString("utf8"), file, context.env);
  if (parsed === undefined) return;
  const before = file.problems.length;
  const reader = new CsvTestReader(parsed.columns, context.check, (line, message) =>
    file.problem({ line }, message),
  );
  const tests = parsed.rows.map((row, index) => reader.read(row.values, row.line, index));
  if (quick === "not-read" && file.problems.length === before) for (const test of tests) context.add(test);
}

interface CsvContext {
  env: Env;
  check: CheckOptions;
  add: (test: RawTest) => void;
}

/**
 * Reads a plain file with the fast reader, each test to `context.add`: `read`; or a file it leaves
 * to csv-parse (nothing given); or a file with a problem, whose problems csv-parse must locate.
 */
function quickCsvTests(bytes: Buffer, context: CsvContext): "read" | "not-read" | "problem" {
  let failed = false;
  let reader: CsvTestReader | undefined;
  const read = readSimpleCsv(bytes, delimiterOf(context.env), (fields, index) => {
    if (failed) return;
    if (!reader) {
      reader = new CsvTestReader(uniqueColumns(fields), context.check, () => {
        failed = true;
      });
      return;
    }
    const test = reader.read(reader.values(fields), undefined, index - 1);
    if (!failed) context.add(test);
  });
  return !read ? "not-read" : failed ? "problem" : "read";
}

/**
 * A record's columns as csv-parse's `columns: true` makes them into an object: each name once, in
 * the order `Object.keys` lists the object (integer-like names first, ascending), holding the value
 * of its last column.
 */
interface Column {
  name: string;
  /** Where the value is in a record's fields. */
  field: number;
}

function uniqueColumns(header: readonly string[]): Column[] {
  const last: Record<string, number> = {};
  header.forEach((name, field) => {
    last[name] = field;
  });
  return Object.keys(last).map((name) => ({ name, field: last[name] as number }));
}

function delimiterOf(env: Env): string {
  return env.PROMPTFOO_CSV_DELIMITER || ",";
}

/** csv-parse's records with the line each starts on; problems are recorded in `file`. */
function parseRows(
  text: string,
  file: ConfigFile,
  env: Env,
): { columns: Column[]; rows: Array<{ line: number; values: string[] }> } | undefined {
  const delimiter = delimiterOf(env);
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
  const names = Object.keys(records[0]?.record ?? {});
  let previousEnd = 1;
  const rows = records.map(({ record, info }) => {
    const row = { line: previousEnd + 1, values: names.map((name) => record[name] as string) };
    previousEnd = info.lines;
    return row;
  });
  return { columns: names.map((name, field) => ({ name, field })), rows };
}

/** What a column of a tests file is, decided once from its name. */
type ColumnKind =
  | { kind: "expected" | "unsupported" | "metadata-without-key" | "config" | "var"; key: string }
  | { kind: "description" | "metric" | "threshold" }
  | { kind: "metadata"; name: string };

function kindOf(rawKey: string): ColumnKind {
  const key = rawKey.trim();
  if (key.startsWith("__expected")) return { kind: "expected", key };
  if (key === "__description") return { kind: "description" };
  if (key === "__metric") return { kind: "metric" };
  if (key === "__threshold") return { kind: "threshold" };
  if (UNSUPPORTED_COLUMNS.has(key)) return { kind: "unsupported", key };
  if (key === "__metadata") return { kind: "metadata-without-key", key };
  if (key.startsWith("__metadata:")) return { kind: "metadata", name: key.slice("__metadata:".length) };
  if (key.startsWith("__config:")) return { kind: "config", key };
  return { kind: "var", key };
}

/** Distinct cells kept before the caches start over (a file of unique answers gains nothing from them). */
const MAX_CACHED = 10_000;

/**
 * Reads rows of one file into tests. A cell's assertion is parsed and checked once per distinct
 * text, and rows with the same assertions share one list (nothing changes an assertion once read):
 * 100,000 rows with a few distinct `__expected` cells hold a few assertion objects, not 100,000.
 */
class CsvTestReader {
  private readonly kinds: ColumnKind[];
  private readonly reported = new Set<string>();
  private readonly specs = new Map<string, AssertionSpec | Error>();
  /** Each column's problems by cell. */
  private readonly problems = new Map<string, Map<string, string | undefined>>();
  private readonly lists = new Map<string, AssertionSpec[]>();

  constructor(
    private readonly columns: readonly Column[],
    private readonly check: CheckOptions,
    private readonly problem: (line: number | undefined, message: string) => void,
  ) {
    this.kinds = columns.map((column) => kindOf(column.name));
  }

  /** A record's fields as this reader's values, one per column. */
  values(fields: readonly string[]): string[] {
    return this.columns.map((column) => fields[column.field] as string);
  }

  read(values: readonly string[], line: number | undefined, index: number): RawTest {
    const vars: Record<string, string> = {};
    const assert: AssertionSpec[] = [];
    /** The column and the cell each assertion came from, to name it in problems. */
    const columns: string[] = [];
    const cells: string[] = [];
    const metadata: Record<string, unknown> = {};
    const configs = new Map<number, Record<string, number>>();
    let description: string | undefined;
    let metric: string | undefined;
    let threshold: number | undefined;
    const once = (column: string, message: string) => {
      if (this.reported.has(column)) return;
      this.reported.add(column);
      this.problem(1, message);
    };
    for (const [at, kind] of this.kinds.entries()) {
      const value = values[at] as string;
      switch (kind.kind) {
        case "expected": {
          const cell = value.trim();
          if (cell === "") break;
          const spec = this.assertion(cell);
          if (spec instanceof Error) this.problem(line, `column "${kind.key}": ${spec.message}`);
          else {
            assert.push(spec);
            columns.push(kind.key);
            cells.push(cell);
          }
          break;
        }
        case "description":
          description = value;
          break;
        case "metric":
          metric = value;
          break;
        case "threshold":
          threshold = finiteNumber(value);
          break;
        case "unsupported":
          if (value !== "") once(kind.key, `column "${kind.key}" is not supported`);
          break;
        case "metadata-without-key":
          once(kind.key, `column "__metadata" needs a key, e.g. "__metadata:category"`);
          break;
        case "metadata":
          readMetadata(kind.name, value, metadata);
          break;
        case "config": {
          const problem = readConfigColumn(kind.key, value, configs);
          if (problem) this.problem(line, problem);
          break;
        }
        case "var":
          vars[kind.key] = value;
          break;
      }
    }
    const shared = !metric && configs.size === 0;
    assert.forEach((spec, i) => {
      if (shared) return;
      const own: AssertionSpec = { ...spec };
      if (metric) own.metric = metric;
      for (const [name, value] of Object.entries(configs.get(i) ?? {})) {
        (own as unknown as Record<string, unknown>)[name] = value;
        // promptfoo copies each __config value into the test's metadata as well.
        metadata[name] = value;
      }
      assert[i] = own;
    });
    assert.forEach((spec, i) => {
      const where = `column "${columns[i]}"`;
      const problem = shared
        ? this.checked(spec, where, cells[i] as string)
        : checkAssertion(spec, where, this.check);
      if (problem) this.problem(line, problem);
    });
    const test: RawTest = { vars, assert: shared ? this.list(assert, cells) : assert, options: {} };
    test.description = description ? description : `Row #${index + 1}`;
    // A cell that is not a number is no threshold (the test then takes defaultTest's); 0 is 0.
    if (threshold !== undefined) test.threshold = threshold;
    if (Object.keys(metadata).length > 0) test.metadata = metadata;
    return test;
  }

  /** The assertion a cell holds (shared by every row with that cell), or why it has none. */
  private assertion(cell: string): AssertionSpec | Error {
    let spec = this.specs.get(cell);
    if (spec === undefined) {
      try {
        spec = assertionFromString(cell);
      } catch (error) {
        spec = error instanceof Error ? error : new Error(String(error));
      }
      if (this.specs.size >= MAX_CACHED) this.specs.clear();
      this.specs.set(cell, spec);
    }
    return spec;
  }

  private checked(spec: AssertionSpec, where: string, cell: string): string | undefined {
    let column = this.problems.get(where);
    if (!column) {
      column = new Map();
      this.problems.set(where, column);
    }
    if (column.has(cell)) return column.get(cell);
    const problem = checkAssertion(spec, where, this.check);
    if (column.size >= MAX_CACHED) column.clear();
    column.set(cell, problem);
    return problem;
  }

  /** One list for every row with the same cells. */
  private list(assert: AssertionSpec[], cells: readonly string[]): AssertionSpec[] {
    const key = cells.join("\u0000");
    const found = this.lists.get(key);
    if (found) return found;
    if (this.lists.size >= MAX_CACHED) this.lists.clear();
    this.lists.set(key, assert);
    return assert;
  }
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
