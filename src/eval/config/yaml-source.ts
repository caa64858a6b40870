import { readFileSync } from "node:fs";
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { type ConfigEntry, ConfigFile, ConfigNode } from "../../config/yaml-config.js";

/**
 * Reads a promptfoo YAML or JSON file into the project's located `ConfigNode`s. Unlike
 * `readConfigFile`, aliases (`*name`) and merge keys (`<<: *base`) are resolved, as js-yaml (which
 * promptfoo uses) resolves them: promptfoo configs share assertions and vars that way. A syntax error
 * or a missing file is a problem recorded on the returned file (its `root` is then undefined);
 * `display` names the file in messages.
 */
export function readYamlSource(path: string, what: string, display = path): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const file = new ConfigFile(display, undefined);
    const code = (error as NodeJS.ErrnoException).code;
    file.problem(undefined, code === "ENOENT" ? `no such ${what}` : (error as Error).message);
    return file;
  }
  return parseYamlSource(text, display);
}

/** Parses YAML or JSON text; `firstLine` is the line the text starts on in its file (a JSONL line). */
export function parseYamlSource(text: string, path: string, firstLine = 1): ConfigFile {
  const counter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter: counter,
    merge: true,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as Node | null | undefined)?.range;
    return range ? counter.linePos(range[0]).line + firstLine - 1 : undefined;
  };
  if (document.errors.length > 0) {
    const file = new ConfigFile(path, undefined);
    for (const error of document.errors) {
      file.problem(
        { line: counter.linePos(error.pos[0]).line + firstLine - 1 },
        `malformed YAML: ${error.message.split("\n")[0]}`,
      );
    }
    return file;
  }
  const root = document.contents === null ? undefined : toNode(document, document.contents, lineOf, 0);
  return new ConfigFile(path, root);
}

/** Aliases nested deeper than this are a loop (`&a [*a]`). */
const MAX_DEPTH = 100;

function toNode(
  document: Document,
  node: unknown,
  lineOf: (node: unknown) => number | undefined,
  depth: number,
  fallbackLine?: number,
): ConfigNode {
  const line = lineOf(node) ?? fallbackLine;
  if (depth > MAX_DEPTH) return new ConfigNode({ line, kind: "other" });
  if (isAlias(node)) {
    const target = node.resolve(document);
    const resolved = toNode(document, target, lineOf, depth + 1, line);
    return new ConfigNode({ ...resolved, line });
  }
  if (isMap(node)) {
    const own: ConfigEntry[] = [];
    const merged: ConfigEntry[] = [];
    for (const pair of node.items) {
      const keyLine = lineOf(pair.key);
      if (isScalar(pair.key) && typeof pair.key.value === "symbol") {
        merged.push(...mergedEntries(document, pair.value, lineOf, depth, keyLine));
        continue;
      }
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      own.push({ key, line: keyLine, value: toNode(document, pair.value, lineOf, depth + 1, keyLine) });
    }
    // Explicit keys win over merged ones; of the merged, the first source wins (YAML merge).
    const seen = new Set(own.map((entry) => entry.key));
    const entries = [...own];
    for (const entry of merged) {
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      entries.push(entry);
    }
    return new ConfigNode({ line, kind: "map", entries });
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => toNode(document, item, lineOf, depth + 1, line));
    return new ConfigNode({ line, kind: "list", items });
  }
  if (isScalar(node)) return new ConfigNode({ line, kind: "scalar", scalar: node.value });
  // `key:` with nothing after it is null, as js-yaml reads it.
  if (node === null || node === undefined) return new ConfigNode({ line, kind: "scalar", scalar: null });
  return new ConfigNode({ line, kind: "other" });
}

function mergedEntries(
  document: Document,
  value: unknown,
  lineOf: (node: unknown) => number | undefined,
  depth: number,
  line: number | undefined,
): ConfigEntry[] {
  const sources = isSeq(value) ? value.items : [value];
  return sources.flatMap((source) => {
    const node = toNode(document, source, lineOf, depth + 1, line);
    return node.kind === "map" ? node.entries : [];
  });
}

/** A node as a plain value: maps become objects, lists arrays, scalars themselves. */
export function plainValue(node: ConfigNode): unknown {
  switch (node.kind) {
    case "map":
      return Object.fromEntries(node.entries.map((entry) => [entry.key, plainValue(entry.value)]));
    case "list":
      return node.items.map(plainValue);
    case "scalar":
      return node.scalar;
    default:
      return undefined;
  }
}

/** A located node for a plain value (CSV rows, `--var`): every part at `line`. */
export function nodeOf(value: unknown, line: number | undefined): ConfigNode {
  if (Array.isArray(value)) {
    return new ConfigNode({ line, kind: "list", items: value.map((item) => nodeOf(item, line)) });
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([key, item]) => ({ key, line, value: nodeOf(item, line) }));
    return new ConfigNode({ line, kind: "map", entries });
  }
  return new ConfigNode({ line, kind: "scalar", scalar: value });
}
