import type { ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import { type CheckOptions, checkAssertion } from "../assertions/index.js";
import type { AssertionSpec } from "./types.js";
import { plainValue } from "./yaml-source.js";

/** Keys of an assertion promptfoo has and metasync does not run. */
const UNSUPPORTED_KEYS = new Set(["transform", "contextTransform"]);

/**
 * Reads one assertion of a test (`type`, `value`, `threshold`, `weight`, `metric`, `provider`,
 * `rubricPrompt`, `config`, and `assert` for an `assert-set`), recording each problem at its line.
 * `where` names it in messages: `tests[3].assert[0]`. Then the assertion library's `checkAssertion`
 * says whether metasync can run it (its type, its value), for a whole assertion (not again for the
 * members of an assert-set, which it checks with the set).
 */
export function readAssertion(
  node: ConfigNode,
  file: ConfigFile,
  where: string,
  check: CheckOptions = {},
  nested = false,
): AssertionSpec | undefined {
  if (node.kind !== "map") {
    file.problem(node, `${where} must be a mapping with a type (e.g. type: contains)`);
    return undefined;
  }
  const typeNode = node.get("type");
  const type = typeNode?.value.string();
  if (type === undefined || type === "") {
    file.problem(
      typeNode ?? node,
      `${where}.type must be an assertion type (e.g. contains, equals, llm-rubric)`,
    );
    return undefined;
  }
  const spec: AssertionSpec = { type };
  let ok = true;
  const fail = (at: { line: number | undefined }, message: string) => {
    file.problem(at, message);
    ok = false;
  };
  for (const entry of node.entries) {
    const value = entry.value;
    switch (entry.key) {
      case "type":
        break;
      case "value":
        spec.value = plainValue(value);
        break;
      case "threshold":
      case "weight": {
        const number = value.number();
        if (number === undefined) fail(value, `${where}.${entry.key} must be a number`);
        else spec[entry.key] = number;
        break;
      }
      case "metric": {
        const metric = value.string();
        if (metric === undefined) fail(value, `${where}.metric must be text`);
        else spec.metric = metric;
        break;
      }
      case "provider":
        spec.provider = plainValue(value);
        break;
      case "rubricPrompt":
        spec.rubricPrompt = plainValue(value);
        break;
      case "config":
        if (value.kind !== "map") fail(value, `${where}.config must be a mapping`);
        else spec.config = plainValue(value) as Record<string, unknown>;
        break;
      case "assert": {
        if (type !== "assert-set") {
          fail(entry, `${where}: "assert" belongs to an assert-set, not to ${type}`);
          break;
        }
        const members = readAssertionList(value, file, `${where}.assert`, check, true);
        if (members === undefined) ok = false;
        else spec.assert = members;
        break;
      }
      default:
        fail(
          entry,
          UNSUPPORTED_KEYS.has(entry.key)
            ? `${where}.${entry.key} is not supported`
            : `${where}: unknown key "${entry.key}"`,
        );
    }
  }
  if (type === "assert-set" && spec.assert === undefined && ok) {
    fail(node, `${where}: an assert-set needs "assert", a list of assertions`);
  }
  if (!ok) return undefined;
  const problem = nested ? undefined : checkAssertion(spec, where, check);
  if (problem) {
    file.problem(typeNode, problem);
    return undefined;
  }
  return spec;
}

/** Reads a list of assertions; undefined when any of them has a problem (each recorded). */
export function readAssertionList(
  node: ConfigNode,
  file: ConfigFile,
  where: string,
  check: CheckOptions = {},
  nested = false,
): AssertionSpec[] | undefined {
  if (node.kind !== "list") {
    const text = node.string();
    file.problem(
      node,
      text?.startsWith("file://")
        ? `${where}: loading assertions from a file is not supported`
        : `${where} must be a list of assertions`,
    );
    return undefined;
  }
  const specs = node.items.map((item, index) =>
    readAssertion(item, file, `${where}[${index}]`, check, nested),
  );
  return specs.every((spec) => spec !== undefined) ? specs : undefined;
}
