import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, formatProblem, type InputProblem } from "../core/errors.js";
import { type OptionSpec, optionByName, type RunOptionValues } from "./option-table.js";

/** A recipe: `run` options in a YAML file, with template and system; flags override it. */
export interface Recipe {
  path: string;
  values: RunOptionValues;
}

/** Keys a recipe may have that are not options: notes for people. */
const NOTE_KEYS = new Set(["description", "name"]);

export function loadRecipe(path: string): Recipe {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: ${code === "ENOENT" ? "no such recipe file" : (error as Error).message}`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const problems: InputProblem[] = [];
  for (const error of document.errors) {
    problems.push({
      file: path,
      line: lines.linePos(error.pos[0]).line,
      message: `malformed YAML: ${error.message.split("\n")[0]}`,
    });
  }
  if (problems.length > 0) throw recipeError(problems);
  const root = document.contents;
  if (root === null) return { path, values: {} };
  if (!isMap(root))
    throw recipeError([
      { file: path, line: lineOf(root), message: "a recipe is a mapping of option: value" },
    ]);

  const values: Record<string, unknown> = {};
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const name = isScalar(keyNode) ? String(keyNode.value) : "";
    const line = lineOf(keyNode);
    if (NOTE_KEYS.has(name)) continue;
    const spec = optionByName(name);
    if (!spec?.inRecipe) {
      problems.push({ file: path, line, message: `unknown key "${name}"` });
      continue;
    }
    const valueNode = pair.value as Node | null;
    const value = typed(spec, valueNode);
    if (value === undefined) {
      problems.push({
        file: path,
        line: lineOf(valueNode) ?? line,
        message: `"${name}" must be ${describe(spec)}`,
      });
      continue;
    }
    values[spec.key] = value;
  }
  if (problems.length > 0) throw recipeError(problems);
  return { path, values: values as RunOptionValues };
}

function typed(spec: OptionSpec, node: Node | null): unknown {
  if (spec.type === "string[]") {
    if (isSeq(node)) {
      const items = node.items.map((item) =>
        isScalar(item) && typeof item.value === "string" ? item.value : undefined,
      );
      return items.every((item) => item !== undefined) ? items : undefined;
    }
    return isScalar(node) && typeof node.value === "string" ? [node.value] : undefined;
  }
  if (!isScalar(node)) return undefined;
  const value = node.value;
  switch (spec.type) {
    case "string":
      return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? value : undefined;
    case "integer":
      return Number.isInteger(value) ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
  }
}

function describe(spec: OptionSpec): string {
  const names: Record<OptionSpec["type"], string> = {
    string: "text",
    number: "a number",
    integer: "a whole number",
    boolean: "true or false",
    "string[]": "text or a list of texts",
  };
  return names[spec.type];
}

function recipeError(problems: InputProblem[]): ConfigError {
  return new ConfigError(problems.map(formatProblem).join("\n"));
}
