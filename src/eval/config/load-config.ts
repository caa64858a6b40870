import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ConfigEntry, ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import { ConfigError } from "../../core/errors.js";
import { PackedList } from "../packed-list.js";
import { TestExpander } from "./expand-tests.js";
import { readMetasyncBlock } from "./metasync-block.js";
import { ConfigProblems } from "./problems.js";
import { DEFAULT_PROMPT, readPrompts } from "./prompts.js";
import { providersFromFlags, readProviders } from "./providers.js";
import { type RawTest, readTestCase } from "./test-case.js";
import { readDefaultTestFile, readTests, readTestsFlag, type TestsContext } from "./test-files.js";
import type { EvalConfig, EvalTest } from "./types.js";
import { readYamlSource } from "./yaml-source.js";

export interface LoadOptions {
  /** Environment variables promptfoo reads while loading: PROMPTFOO_CSV_DELIMITER, PROMPTFOO_CSV_STRICT,
   * PROMPTFOO_PROMPT_SEPARATOR, PROMPTFOO_DISABLE_VAR_EXPANSION. */
  env: Readonly<Record<string, string | undefined>>;
  /** `-t`: a tests file (CSV, JSONL, YAML, JSON) replacing the config's tests; relative to `cwd`. */
  testsFile?: string;
  /** `--var k=v`: added to every test's vars. */
  vars?: Record<string, string>;
  /** `-m`: models replacing the config's providers. */
  models?: string[];
  /** The working directory a relative config path and `testsFile` are relative to (default: the process's). */
  cwd?: string;
}

/** promptfoo config keys metasync does not run: each is reported where it is, never skipped. */
const UNSUPPORTED_KEYS = new Set([
  "scenarios",
  "extensions",
  "nunjucksFilters",
  "derivedMetrics",
  "outputPath",
  "sharing",
  "env",
  "tags",
  "metadata",
  "redteam",
  "tracing",
  "writeLatestResults",
  "commandLineOptions",
  "assertionTemplates",
  "$defs",
  "definitions",
  "plugins",
  "strategies",
]);

/** Keys promptfoo ignores: tooling (`$schema`) and extension keys (`x-…`). */
const IGNORED = (key: string) => key === "$schema" || key.startsWith("x-");

/**
 * Reads a promptfoo config, unchanged, into a typed `EvalConfig`: prompts, providers, tests (with
 * `defaultTest` merged in and vars expanded) and the `metasync:` block. Every problem of the config
 * and the files it names — including each promptfoo feature metasync does not run, at its place —
 * is thrown together as one `ConfigError` (exit 2) before anything is sent.
 */
export function loadEvalConfig(path: string, options: LoadOptions): EvalConfig {
  const tests: EvalTest[] = [];
  const config = readEvalConfig(path, options, (test) => tests.push(test));
  config.tests = tests;
  return config;
}

/**
 * `loadEvalConfig` with the tests given to `onTest` one at a time, in order, as they are read (the
 * config's own `tests` stay empty): 100,000 tests from a CSV file need never be all objects at once.
 * A config with a problem throws its ConfigError after the tests read before it was found.
 */
export function readEvalConfig(
  path: string,
  options: LoadOptions,
  onTest: (test: EvalTest) => void,
): EvalConfig {
  const problems = new ConfigProblems();
  const absolute = resolve(options.cwd ?? ".", path);
  const file = problems.add(readYamlSource(absolute, "eval config", path));
  const root = file.root;
  if (root === undefined && file.problems.length === 0) file.problem(undefined, "the config is empty");
  if (root !== undefined && root.kind !== "map")
    file.problem(root, "a config is a mapping (prompts, providers, tests, …)");
  problems.check();
  const baseDir = dirname(absolute);
  const displayDir = dirname(path);
  const check = { baseDir, env: options.env };
  const top = new Map<string, ConfigEntry>();
  for (const entry of (root as ConfigNode).entries) {
    if (IGNORED(entry.key)) continue;
    top.set(entry.key, entry);
  }
  // Each test is expanded as it is read, once defaultTest is known; tests read before it (a config
  // that lists `tests` first) wait for it, packed off the heap.
  const expandOptions = {
    vars: options.vars ?? {},
    disableVarExpansion: isTrue(options.env.PROMPTFOO_DISABLE_VAR_EXPANSION),
  };
  let expander = top.has("defaultTest") ? undefined : new TestExpander(undefined, expandOptions, onTest);
  const waiting = PackedList.builder<RawTest>();
  const context: TestsContext = {
    baseDir,
    displayDir,
    env: options.env,
    problems,
    check,
    add: (test) => (expander ? expander.add(test) : waiting.add(test)),
  };

  const config: EvalConfig = { path, baseDir, prompts: [], providers: [], tests: [], metasync: {} };
  for (const [key, entry] of top) {
    switch (key) {
      case "description": {
        const text = entry.value.string();
        if (text === undefined) file.problem(entry.value, "description must be text");
        else config.description = text;
        break;
      }
      case "prompts":
        config.prompts = readPrompts(entry.value, file, context);
        break;
      case "providers":
      case "targets":
        if (key === "targets" && top.has("providers")) {
          file.problem(entry, "targets and providers name the same thing; keep one");
          break;
        }
        if (!options.models?.length) config.providers = readProviders(entry.value, file, key);
        break;
      case "tests":
        if (!options.testsFile) readTests(entry.value, file, context);
        break;
      case "defaultTest": {
        const expanding = new TestExpander(readDefault(entry.value, file, context), expandOptions, onTest);
        const read = waiting.finish();
        for (let index = 0; index < read.length; index++) expanding.add(read.at(index) as RawTest);
        expander = expanding;
        break;
      }
      case "evaluateOptions":
        readEvaluateOptions(entry.value, file, config);
        break;
      case "metasync":
        config.metasync = readMetasyncBlock(entry.value, file, baseDir);
        break;
      default:
        file.problem(entry, UNSUPPORTED_KEYS.has(key) ? `${key} is not supported` : `unknown key "${key}"`);
    }
  }
  if (!top.has("prompts")) config.prompts = [{ ...DEFAULT_PROMPT }];
  if (options.models?.length) config.providers = providersFromFlags(options.models, problems);
  else if (!top.has("providers") && !top.has("targets")) {
    file.problem(undefined, "no providers: add providers (e.g. openai:gpt-4o-mini) or pass -m");
  }
  if (options.testsFile) {
    const cwd = options.cwd ?? resolve(".");
    readTestsFlag(options.testsFile, { ...context, baseDir: cwd, displayDir: "." });
  }
  problems.check();
  expander?.finish();
  return config;
}

function readDefault(node: ConfigNode, file: ConfigFile, context: TestsContext): RawTest | undefined {
  const ref = node.string();
  if (ref?.startsWith("file://"))
    return readDefaultTestFile(ref, { file, node, where: "defaultTest" }, context);
  return readTestCase(node, file, "defaultTest", { isDefault: true, check: context.check });
}

/** `evaluateOptions`: `maxConcurrency` and `repeat`; promptfoo's others are reported. */
function readEvaluateOptions(node: ConfigNode, file: ConfigFile, config: EvalConfig): void {
  if (node.kind !== "map") {
    file.problem(node, "evaluateOptions must be a mapping");
    return;
  }
  for (const entry of node.entries) {
    if (entry.key === "maxConcurrency" || entry.key === "repeat") {
      const value = entry.value.integer();
      if (value === undefined || value < 1)
        file.problem(entry.value, `evaluateOptions.${entry.key} must be a whole number above 0`);
      else config[entry.key] = value;
    } else {
      file.problem(entry, `evaluateOptions.${entry.key} is not supported`);
    }
  }
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

/** The config `metasync eval` reads when none is given: `metasync.eval.yaml`, else `promptfooconfig.yaml`. */
export function defaultConfigPath(cwd: string): string {
  for (const name of ["metasync.eval.yaml", "promptfooconfig.yaml"]) {
    const path = join(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new ConfigError(
    `no eval config in ${cwd}: looked for metasync.eval.yaml and promptfooconfig.yaml; pass the config's path`,
  );
}
