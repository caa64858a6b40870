import { existsSync, readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { load } from "js-yaml";

/**
 * `file://` values, as promptfoo reads them (src/assertions/index.ts, utils.ts
 * `processFileReference`): `file://path.js[:fn]` is a script called with `(output, context)`;
 * `.json`, `.yaml` and `.yml` files are data (YAML parses JSON too); `.txt` is text, trimmed.
 * Paths are relative to the config's directory.
 */
export interface ScriptReference {
  path: string;
  functionName: string | undefined;
}

const SCRIPT_EXTENSIONS = new Set([".js", ".cjs", ".mjs"]);
const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".cts", ".mts", ".tsx", ".jsx"]);
const DATA_EXTENSIONS = new Set([".json", ".yaml", ".yml", ".txt"]);

export function isFileReference(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("file://");
}

/** A `file://x.js[:fn]` value as a script to call, or undefined when the file is not JavaScript. */
export function scriptReference(value: string, baseDir: string): ScriptReference | undefined {
  const ref = value.slice("file://".length);
  const colon = ref.indexOf(":");
  const file = colon === -1 ? ref : ref.slice(0, colon);
  const functionName = colon === -1 ? undefined : ref.slice(colon + 1);
  if (!SCRIPT_EXTENSIONS.has(extname(file))) return undefined;
  return { path: resolve(baseDir, file), functionName: functionName || undefined };
}

/** Why a `file://` value cannot be used, or undefined when it can (checked before anything is sent). */
export function fileReferenceProblem(value: string, baseDir: string | undefined): string | undefined {
  const ref = value.slice("file://".length);
  const colon = ref.indexOf(":");
  const head = colon === -1 ? ref : ref.slice(0, colon);
  const headExt = extname(head);
  if (headExt === ".py") return `Python files (${value}) are not supported yet`;
  if (headExt === ".rb") return `Ruby files (${value}) are not supported yet`;
  if (TYPESCRIPT_EXTENSIONS.has(headExt)) {
    return `TypeScript files (${value}) are not supported yet; point to the compiled .js file`;
  }
  const script = SCRIPT_EXTENSIONS.has(headExt);
  const file = script ? head : ref;
  if (!script && !DATA_EXTENSIONS.has(extname(file))) {
    return `unsupported file type in ${value}: use .js, .cjs, .mjs, .json, .yaml, .yml or .txt`;
  }
  if (baseDir !== undefined && !existsSync(resolve(baseDir, file))) {
    return `${value}: no such file (looked for ${resolve(baseDir, file)})`;
  }
  return undefined;
}

/** The contents of a data file: parsed YAML/JSON, or trimmed text. */
export function readDataFile(value: string, baseDir: string): unknown {
  const path = resolve(baseDir, value.slice("file://".length));
  const text = readFileSync(path, "utf8");
  const ext = extname(path);
  if (ext === ".json" || ext === ".yaml" || ext === ".yml") return load(text);
  if (ext === ".txt") return text.trim();
  throw new Error(`Unsupported file type: ${path}`);
}
