import type { ConfigEntry, ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import type { CheckOptions } from "../assertions/index.js";
import { readAssertionList } from "./assertion-spec.js";
import type { AssertionSpec } from "./types.js";
import { plainValue } from "./yaml-source.js";

/** A test's `options` that metasync runs. */
export interface TestOptions {
  provider?: unknown;
  rubricPrompt?: unknown;
  disableVarExpansion?: boolean;
  disableDefaultAsserts?: boolean;
}

/** A test as read, before `defaultTest` is merged in and its vars expanded. */
export interface RawTest {
  description?: string;
  /** Undefined when the test has no `vars`. */
  vars?: Record<string, unknown>;
  assert?: AssertionSpec[];
  threshold?: number;
  metadata?: Record<string, unknown>;
  options?: TestOptions;
}

/** Test keys promptfoo has that metasync does not run: reported, never skipped. */
const UNSUPPORTED_TEST_KEYS = new Set([
  "provider",
  "providers",
  "prompts",
  "providerOutput",
  "assertScoringFunction",
]);

/**
 * Reads one test (`description`, `vars`, `assert`, `threshold`, `metadata`, `options`), recording
 * each problem at its line under `where` (`tests[3]`, `defaultTest`). A test with none of vars,
 * assert, options, metadata or threshold is a problem, as in promptfoo's `readTest`, except for
 * `defaultTest`.
 */
export function readTestCase(
  node: ConfigNode,
  file: ConfigFile,
  where: string,
  options: { isDefault?: boolean; check?: CheckOptions } = {},
): RawTest | undefined {
  if (node.kind !== "map") {
    const text = node.string();
    file.problem(
      node,
      text?.startsWith("file://")
        ? `${where}: a test given as a file (${text}) is not supported; list the file under tests`
        : `${where} must be a mapping (vars, assert, …)`,
    );
    return undefined;
  }
  const test: RawTest = {};
  const before = file.problems.length;
  for (const entry of node.entries) readTestKey(entry, test, file, where, options.check ?? {});
  if (file.problems.length > before) return undefined;
  const meaningful = ["vars", "assert", "options", "metadata", "threshold"].some((key) => node.get(key));
  if (!options.isDefault && !meaningful) {
    file.problem(node, `${where} has none of vars, assert, options, metadata or threshold`);
    return undefined;
  }
  return test;
}

function readTestKey(
  entry: ConfigEntry,
  test: RawTest,
  file: ConfigFile,
  where: string,
  check: CheckOptions,
): void {
  const value = entry.value;
  switch (entry.key) {
    case "description": {
      const text = value.string() ?? (typeof value.scalar === "number" ? String(value.scalar) : undefined);
      if (text === undefined) file.problem(value, `${where}.description must be text`);
      else test.description = text;
      return;
    }
    case "vars": {
      const vars = readVars(value, file, `${where}.vars`);
      if (vars) test.vars = vars;
      return;
    }
    case "assert": {
      const assert = readAssertionList(value, file, `${where}.assert`, check);
      if (assert) test.assert = assert;
      return;
    }
    case "threshold": {
      const threshold = value.number();
      if (threshold === undefined) file.problem(value, `${where}.threshold must be a number`);
      else test.threshold = threshold;
      return;
    }
    case "metadata":
      if (value.kind !== "map") file.problem(value, `${where}.metadata must be a mapping`);
      else test.metadata = plainValue(value) as Record<string, unknown>;
      return;
    case "options": {
      const options = readOptions(value, file, `${where}.options`);
      if (options) test.options = options;
      return;
    }
    default:
      file.problem(
        entry,
        UNSUPPORTED_TEST_KEYS.has(entry.key)
          ? `${where}.${entry.key} is not supported`
          : `${where}: unknown key "${entry.key}"`,
      );
  }
}

/** A test's vars: a mapping whose values are plain data (a `file://` value is not loaded, so refused). */
export function readVars(
  node: ConfigNode,
  file: ConfigFile,
  where: string,
): Record<string, unknown> | undefined {
  if (node.kind !== "map") {
    const loads = node.kind === "list" || node.string()?.startsWith("file://");
    file.problem(
      node,
      loads ? `${where}: loading vars from files is not supported` : `${where} must be a mapping`,
    );
    return undefined;
  }
  const before = file.problems.length;
  for (const entry of node.entries) refuseFileValues(entry.value, file, `${where}.${entry.key}`);
  return file.problems.length > before ? undefined : (plainValue(node) as Record<string, unknown>);
}

/** promptfoo loads (and globs) `file://` var values; metasync does not yet, so says so. */
function refuseFileValues(node: ConfigNode, file: ConfigFile, where: string): void {
  if (node.string()?.startsWith("file://")) {
    file.problem(node, `${where}: a var read from a file (file://…) is not supported`);
  }
  for (const item of node.items) refuseFileValues(item, file, where);
  for (const entry of node.entries) refuseFileValues(entry.value, file, `${where}.${entry.key}`);
}

function readOptions(node: ConfigNode, file: ConfigFile, where: string): TestOptions | undefined {
  if (node.kind !== "map") {
    file.problem(node, `${where} must be a mapping`);
    return undefined;
  }
  const options: TestOptions = {};
  for (const entry of node.entries) {
    const value = entry.value;
    switch (entry.key) {
      case "provider":
        options.provider = plainValue(value);
        break;
      case "rubricPrompt":
        options.rubricPrompt = plainValue(value);
        break;
      case "disableVarExpansion":
      case "disableDefaultAsserts": {
        const flag = value.boolean();
        if (flag === undefined) file.problem(value, `${where}.${entry.key} must be true or false`);
        else options[entry.key] = flag;
        break;
      }
      default:
        // transform, postprocess, prefix, suffix, storeOutputAs, transformVars, runSerially, and
        // provider settings given per test (promptfoo passes any key through to the prompt config).
        file.problem(entry, `${where}.${entry.key} is not supported`);
    }
  }
  return options;
}
