import { readFileSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import type { ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import type { CheckOptions } from "../assertions/index.js";
import { csvTests } from "./csv-tests.js";
import { globFiles, hasMagic } from "./glob.js";
import type { ConfigProblems } from "./problems.js";
import { type RawTest, readTestCase } from "./test-case.js";
import { parseYamlSource, readYamlSource } from "./yaml-source.js";

export interface TestsContext {
  /** `file://` paths are relative to it (the config's directory; the working directory for `-t`). */
  baseDir: string;
  /** The same directory as the user wrote it, to name files in messages. */
  displayDir: string;
  env: Readonly<Record<string, string | undefined>>;
  problems: ConfigProblems;
  /** How assertions are checked: `file://` values against the config's directory, whatever file holds them. */
  check: CheckOptions;
  /** Takes each test as it is read, in order (a file of 100,000 is never held whole). */
  add: (test: RawTest) => void;
}

/**
 * How promptfoo names a file's tests without a description. Its two readers differ:
 * `readStandaloneTestsFile` (a `tests: file://x.csv|json|jsonl` string) names them `Row #n` (JSONL
 * rows always, their own description ignored), `loadTestsFromGlob` (a YAML string, or each file of a
 * `tests` list) leaves JSON, JSONL and YAML tests as they are; CSV rows are `Row #n` either way.
 */
type Reader = "standalone" | "glob";

const UNSUPPORTED_SOURCES: ReadonlyArray<[RegExp, string]> = [
  [/^huggingface:\/\//, "Hugging Face datasets"],
  [/^https:\/\/docs\.google\.com\/spreadsheets\//, "Google Sheets"],
  [/^https?:\/\//, "URLs"],
  [/^langfuse:\/\//, "Langfuse traces"],
  [/^az:\/\//, "Azure Blob Storage"],
];

/** The config's `tests`: a file (or glob), or a list of inline tests and files; each test to `context.add`. */
export function readTests(node: ConfigNode, file: ConfigFile, context: TestsContext): void {
  const text = node.string();
  if (text !== undefined) {
    const reader: Reader = /\.ya?ml$/.test(text) ? "glob" : "standalone";
    testsFromFile(text, reader, { file, node, where: "tests" }, context);
    return;
  }
  if (node.kind !== "list") {
    file.problem(node, "tests must be a list of tests, or a file:// path");
    return;
  }
  node.items.forEach((item, index) => {
    const where = `tests[${index}]`;
    const ref = item.string();
    if (ref !== undefined) {
      testsFromFile(ref, "glob", { file, node: item, where }, context);
      return;
    }
    if (item.kind === "map" && item.get("path")) {
      file.problem(
        item.get("path"),
        `${where}.path (a tests file with config) is not supported; list the file as file://…`,
      );
      return;
    }
    const test = readTestCase(item, file, where, { check: context.check });
    if (test) context.add(test);
  });
}

/** `-t tests.csv`: a tests file replacing the config's tests, relative to the working directory. */
export function readTestsFlag(path: string, context: TestsContext): void {
  const reader: Reader = /\.ya?ml$/.test(path) ? "glob" : "standalone";
  const flagFile = context.problems.file(`--tests ${path}`);
  testsFromFile(path, reader, { file: flagFile, node: undefined, where: "" }, context);
}

/** Where a tests file is named: a config's `tests[2]`, or the `-t` flag (no `where`). */
export interface Origin {
  file: ConfigFile;
  node: ConfigNode | undefined;
  where: string;
}

function report(origin: Origin, message: string): void {
  origin.file.problem(origin.node, origin.where === "" ? message : `${origin.where}: ${message}`);
}

function testsFromFile(ref: string, reader: Reader, origin: Origin, context: TestsContext): void {
  const unsupported = UNSUPPORTED_SOURCES.find(([pattern]) => pattern.test(ref));
  if (unsupported) {
    report(origin, `tests from ${unsupported[1]} are not supported`);
    return;
  }
  const path = ref.replace(/^file:\/\//, "");
  const absolute = resolve(context.baseDir, path);
  const files = hasMagic(path) ? globFiles(absolute) : [absolute];
  if (files.length === 0) {
    report(origin, `no file matches ${ref}`);
    return;
  }
  for (const match of files) testsOfFile(match, reader, origin, context);
}

function testsOfFile(absolute: string, reader: Reader, origin: Origin, context: TestsContext): void {
  const display = join(context.displayDir, relative(context.baseDir, absolute));
  const extension = extname(absolute).toLowerCase().replace(/#.*$/, "");
  const refused = refusedKind(absolute, extension);
  if (refused !== undefined) {
    report(origin, `${refused} (${display}) are not supported`);
    return;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch {
    report(origin, `no such tests file ${display}`);
    return;
  }
  if (extension === ".csv") {
    csvTests(bytes, context.problems.file(display), context);
    return;
  }
  const text = bytes.toString("utf8");
  if (extension === ".jsonl") {
    jsonlTests(text, display, reader, context);
    return;
  }
  const parsed = context.problems.add(parseYamlSource(text, display));
  if (!parsed.root) return;
  const items = parsed.root.kind === "list" ? parsed.root.items : [parsed.root];
  items.forEach((item, index) => {
    const test = readTestCase(item, parsed, `[${index}]`, { check: context.check });
    if (!test) return;
    if (reader === "standalone" && extension === ".json") test.description ??= `Row #${index + 1}`;
    context.add(test);
  });
}

/** The kind of tests file metasync does not read, or undefined for one it reads. */
function refusedKind(absolute: string, extension: string): string | undefined {
  if (/^\.(c|m)?[jt]s$|^\.py$/.test(extension) || /\.(py|[cm]?[jt]s):\w+$/.test(absolute)) {
    return "tests generated by scripts";
  }
  if (extension === ".xlsx" || extension === ".xls") return "Excel test files";
  if (![".csv", ".json", ".jsonl", ".yaml", ".yml"].includes(extension)) {
    return `test files of type ${extension || "(none)"}`;
  }
  return undefined;
}

/** One JSON test a line; blank lines skipped. */
function jsonlTests(text: string, display: string, reader: Reader, context: TestsContext): void {
  let row = 0;
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    row++;
    const parsed = context.problems.add(parseYamlSource(line, display, index + 1));
    const test = parsed.root
      ? readTestCase(parsed.root, parsed, `[${row - 1}]`, { check: context.check })
      : undefined;
    if (!test) return;
    // promptfoo's standalone reader names every JSONL row `Row #n`, over its own description.
    if (reader === "standalone") test.description = `Row #${row}`;
    context.add(test);
  });
}

/** `defaultTest` given as `file://defaults.yaml`. */
export function readDefaultTestFile(ref: string, origin: Origin, context: TestsContext): RawTest | undefined {
  const path = resolve(context.baseDir, ref.replace(/^file:\/\//, ""));
  if (!/\.(ya?ml|json)$/.test(path)) {
    report(origin, "a defaultTest file must be YAML or JSON");
    return undefined;
  }
  const display = join(context.displayDir, relative(context.baseDir, path));
  const file = context.problems.add(readYamlSource(path, "defaultTest file", display));
  if (!file.root) {
    if (file.problems.length === 0) file.problem(undefined, "the file is empty");
    return undefined;
  }
  return readTestCase(file.root, file, "defaultTest", { isDefault: true, check: context.check });
}
