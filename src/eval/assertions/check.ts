import { splitType } from "./catalog.js";
import { fileReferenceProblem, isFileReference } from "./file-reference.js";
import { parseCommaSeparatedValues } from "./handlers/csv-values.js";
import { buildFunctionBody } from "./handlers/javascript.js";
import { compileSchema, hasJsonSchema, isStrict } from "./handlers/json-schema.js";
import { requiredElements } from "./handlers/xml.js";
import { typeProblem } from "./type-problem.js";
import type { AssertionSpec } from "./types.js";

export interface CheckOptions {
  /** The config's directory: when given, `file://` values must name files that exist there. */
  baseDir?: string | undefined;
  /** Read for `PROMPTFOO_DISABLE_AJV_STRICT_MODE` when compiling inline JSON schemas. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * The first problem with an assertion, as `<where>: <problem>`, or undefined when it can run:
 * a type metasync does not have (model-graded ones are "not supported yet"), a threshold, weight
 * or metric of the wrong kind, or a value the assertion could never use (each row would be an
 * error). Values that use the test's vars (`{{ }}`) are checked when they are rendered.
 */
export function checkAssertion(
  spec: AssertionSpec,
  where: string,
  options: CheckOptions = {},
): string | undefined {
  const problem = specProblem(spec, where, options, false);
  if (problem === undefined) return undefined;
  return problem.startsWith(`${where}`) ? problem : `${where}: ${problem}`;
}

function specProblem(
  spec: AssertionSpec,
  where: string,
  options: CheckOptions,
  inSet: boolean,
): string | undefined {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec))
    return "an assertion must be an object";
  if (typeof spec.type !== "string" || spec.type === "") return 'an assertion needs a "type"';
  const type = spec.type;
  const unsupported = typeProblem(type);
  if (unsupported) return unsupported;
  const key = Object.keys(spec).find((name) => !KNOWN_KEYS.has(name));
  if (key !== undefined) {
    return NOT_YET_KEYS.has(key)
      ? `"${key}" on an assertion is not supported yet`
      : `unknown key "${key}" in an assertion (known: ${[...KNOWN_KEYS].join(", ")})`;
  }
  const threshold = spec.threshold as unknown;
  if (
    threshold !== undefined &&
    threshold !== null &&
    (typeof threshold !== "number" || !Number.isFinite(threshold))
  ) {
    return `"threshold" must be a number, not ${shown(threshold)}`;
  }
  const weight = spec.weight as unknown;
  if (weight !== undefined && weight !== null && (typeof weight !== "number" || !Number.isFinite(weight))) {
    return `"weight" must be a number, not ${shown(weight)}`;
  }
  if (spec.metric !== undefined && typeof spec.metric !== "string") return '"metric" must be a string';
  if (type === "assert-set") {
    if (inSet) return "an assert-set cannot contain another assert-set";
    if (!Array.isArray(spec.assert) || spec.assert.length === 0) {
      return 'an assert-set needs a non-empty "assert" list';
    }
    for (const [index, child] of spec.assert.entries()) {
      const childWhere = `${where}.assert[${index}]`;
      const problem = specProblem(child, childWhere, options, true);
      if (problem) return problem.startsWith(childWhere) ? problem : `${childWhere}: ${problem}`;
    }
    return undefined;
  }
  return valueProblem(spec, options);
}

/** The keys of a promptfoo assertion that metasync reads; `provider` and `rubricPrompt` are for graders. */
const KNOWN_KEYS = new Set([
  "type",
  "value",
  "threshold",
  "weight",
  "metric",
  "provider",
  "rubricPrompt",
  "assert",
  "config",
]);
/** promptfoo's other assertion keys: refused, never ignored. */
const NOT_YET_KEYS = new Set(["transform", "contextTransform", "normalizeUnicode", "metricOnly"]);

function shown(value: unknown): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/** A value the engine renders (a `{{ var }}` template) is known only per row. */
function isTemplate(value: unknown): boolean {
  return typeof value === "string" && (value.includes("{{") || value.includes("{%"));
}

function valueProblem(spec: AssertionSpec, options: CheckOptions): string | undefined {
  const { baseType, inverse } = splitType(spec.type);
  const value = spec.value;
  const files = (Array.isArray(value) ? value : [value]).filter((v): v is string => isFileReference(v));
  for (const file of files) {
    const problem = fileReferenceProblem(file, options.baseDir);
    if (problem) return problem;
  }
  if (isFileReference(value) || isTemplate(value)) return undefined;
  const needs = (kind: string) => `"${spec.type}" needs ${kind} as its value`;
  switch (baseType) {
    case "contains":
    case "icontains":
      if (
        !((typeof value === "string" && value !== "") || (typeof value === "number" && !Number.isNaN(value)))
      ) {
        return needs("a string or a number");
      }
      return undefined;
    case "contains-any":
    case "contains-all":
    case "icontains-any":
    case "icontains-all":
      if (typeof value === "string" && value !== "") {
        try {
          parseCommaSeparatedValues(value);
        } catch (error) {
          return (error as Error).message;
        }
        return undefined;
      }
      return Array.isArray(value) ? undefined : needs("a list or a comma-separated string");
    case "starts-with":
    case "regex":
    case "levenshtein":
    case "rouge-n":
    case "javascript":
      if (typeof value !== "string" || (value === "" && baseType !== "levenshtein")) return needs("a string");
      return baseType === "javascript" ? javascriptProblem(value) : undefined;
    case "bleu":
      if (typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"))) {
        return undefined;
      }
      return needs("a string or a list of strings");
    case "is-json":
    case "contains-json":
      return schemaProblem(spec, options);
    case "is-xml":
    case "contains-xml":
      try {
        requiredElements(value);
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    case "word-count":
      return wordCountProblem(value);
    case "latency":
    case "cost":
      if (spec.threshold === undefined || (spec.threshold as unknown) === null) {
        if (inverse) return `"${spec.type}" needs a threshold`;
        if (!spec.metric) return `"${spec.type}" needs a threshold, or a metric to record the ${baseType} in`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function schemaProblem(spec: AssertionSpec, options: CheckOptions): string | undefined {
  if (!hasJsonSchema(spec.value)) return undefined;
  try {
    compileSchema(spec.value, splitType(spec.type).baseType, isStrict(options.env));
    return undefined;
  } catch (error) {
    return `invalid JSON schema: ${(error as Error).message}`;
  }
}

function wordCountProblem(value: unknown): string | undefined {
  if (
    typeof value === "number" ||
    (typeof value === "string" && value !== "" && !Number.isNaN(Number(value)))
  ) {
    return undefined;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const { min, max } = value as { min?: unknown; max?: unknown };
    if (min === undefined && max === undefined) return '"word-count" needs "min" and/or "max" in its value';
    if ((min !== undefined && typeof min !== "number") || (max !== undefined && typeof max !== "number")) {
      return '"word-count" min and max must be numbers';
    }
    if (typeof min === "number" && typeof max === "number" && min > max) {
      return `"word-count": min (${min}) must be less than or equal to max (${max})`;
    }
    return undefined;
  }
  return '"word-count" needs a number or {min, max} as its value';
}

/** Inline code must compile as the body it runs as; it is compiled again per row, as promptfoo does. */
function javascriptProblem(code: string): string | undefined {
  if (isFileReference(code)) return undefined;
  const trimmed = code.trimEnd();
  try {
    new Function("output", "context", trimmed.includes("\n") ? trimmed : buildFunctionBody(trimmed));
    return undefined;
  } catch (error) {
    return `javascript does not compile: ${(error as Error).message}`;
  }
}
