import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, formatProblem, type InputProblem } from "../core/errors.js";

/** One `key: value` of a mapping. `line` is the key's; the value has its own. */
export interface ConfigEntry {
  /** The key as text; "" for a key that is not a scalar (`? [a, b]`). */
  readonly key: string;
  readonly line: number | undefined;
  readonly value: ConfigNode;
}

export interface ConfigNodeInit {
  line: number | undefined;
  kind: ConfigNode["kind"];
  entries?: readonly ConfigEntry[];
  items?: readonly ConfigNode[];
  scalar?: unknown;
}

/**
 * A value in a config file with the line it starts on (a missing value, `key:` with nothing after
 * it, has its key's line). Maps have `entries`, lists `items`, scalars `scalar`; the accessors give
 * a value of the asked type or `undefined`, so a loader can report a wrong type where it is.
 */
export class ConfigNode {
  readonly line: number | undefined;
  /** `other` is an alias (`*name`) or a value that is not there. */
  readonly kind: "map" | "list" | "scalar" | "other";
  /** A map's entries in file order; empty for anything else. */
  readonly entries: readonly ConfigEntry[];
  /** A list's items; empty for anything else. */
  readonly items: readonly ConfigNode[];
  /** A scalar's value (string, number, boolean or null); `undefined` for anything else. */
  readonly scalar: unknown;

  constructor(init: ConfigNodeInit) {
    this.line = init.line;
    this.kind = init.kind;
    this.entries = init.entries ?? [];
    this.items = init.items ?? [];
    this.scalar = init.scalar;
  }

  /** A map's entry for `key`. */
  get(key: string): ConfigEntry | undefined {
    return this.entries.find((entry) => entry.key === key);
  }

  string(): string | undefined {
    return typeof this.scalar === "string" ? this.scalar : undefined;
  }

  /** A finite number. */
  number(): number | undefined {
    return typeof this.scalar === "number" && Number.isFinite(this.scalar) ? this.scalar : undefined;
  }

  integer(): number | undefined {
    return Number.isInteger(this.scalar) ? (this.scalar as number) : undefined;
  }

  boolean(): boolean | undefined {
    return typeof this.scalar === "boolean" ? this.scalar : undefined;
  }
}

/** The keys a mapping may have, and how an unknown one is named in messages. */
export interface KnownKeys {
  /** The allowed keys; a function where a key has several spellings. */
  allowed: ReadonlySet<string> | ((key: string) => boolean);
  /** What a key is called: `unknown field "rpn"`. Default "key". */
  noun?: "key" | "field";
  /** Whether the message lists the allowed keys, `(known: a, b)` (a set only). */
  listed?: boolean;
}

export interface ParseOptions {
  /** How a syntax error is introduced: `malformed YAML: …`. Default "YAML". */
  syntax?: string;
}

export interface ReadOptions extends ParseOptions {
  /** What the file is, for the message when it is missing: `recipe file` → `path: no such recipe file`. */
  what: string;
}

/**
 * A YAML or JSON config file, parsed, with the problems its loader has found so far, each with the
 * file and line. `check()` throws them as one `ConfigError`, one `file:line: problem` per line, in
 * the order they were reported.
 */
export class ConfigFile {
  readonly path: string;
  /** The document's top value; `undefined` for a file with nothing in it (or only comments). */
  readonly root: ConfigNode | undefined;
  readonly #problems: InputProblem[] = [];

  constructor(path: string, root: ConfigNode | undefined) {
    this.path = path;
    this.root = root;
  }

  get problems(): readonly InputProblem[] {
    return this.#problems;
  }

  /** Records a problem at the line of `at` (a node or an entry); without one, at the file. */
  problem(at: { readonly line: number | undefined } | undefined, message: string): void {
    this.#problems.push({ file: this.path, line: at?.line, message });
  }

  /** Records a problem and returns the `ConfigError` listing every problem so far, to throw. */
  failure(at: { readonly line: number | undefined } | undefined, message: string): ConfigError {
    this.problem(at, message);
    return this.#error();
  }

  /**
   * Whether `entry`'s key is one of `keys`; when it is not, records `unknown key "x"` at its line,
   * after `context: ` when one is given.
   */
  knownKey(entry: ConfigEntry, keys: KnownKeys, context?: string): boolean {
    const { allowed } = keys;
    if (typeof allowed === "function" ? allowed(entry.key) : allowed.has(entry.key)) return true;
    const known = keys.listed && typeof allowed !== "function" ? ` (known: ${[...allowed].join(", ")})` : "";
    const prefix = context === undefined ? "" : `${context}: `;
    this.problem(entry, `${prefix}unknown ${keys.noun ?? "key"} "${entry.key}"${known}`);
    return false;
  }

  /** Throws one `ConfigError` listing every problem recorded; returns when there are none. */
  check(): void {
    if (this.#problems.length > 0) throw this.#error();
  }

  #error(): ConfigError {
    return new ConfigError(this.#problems.map(formatProblem).join("\n"));
  }
}

/** Reads and parses a YAML or JSON file; a missing or unreadable file is a `ConfigError` naming it. */
export function readConfigFile(path: string, options: ReadOptions): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${path}: ${code === "ENOENT" ? `no such ${options.what}` : (error as Error).message}`,
    );
  }
  return parseConfig(text, path, options);
}

/**
 * Parses YAML or JSON (JSON is YAML) read from `path`. Syntax errors, duplicate keys among them,
 * are thrown together as one `ConfigError` with their lines; a loader then walks a whole document.
 */
export function parseConfig(text: string, path: string, options: ParseOptions = {}): ConfigFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const root = document.contents === null ? undefined : toNode(document.contents, lines, undefined);
  const file = new ConfigFile(path, root);
  for (const error of document.errors) {
    file.problem(
      { line: lines.linePos(error.pos[0]).line },
      `malformed ${options.syntax ?? "YAML"}: ${error.message.split("\n")[0]}`,
    );
  }
  file.check();
  return file;
}

function toNode(node: unknown, lines: LineCounter, fallbackLine: number | undefined): ConfigNode {
  const line = lineOf(node, lines) ?? fallbackLine;
  if (isMap(node)) {
    const entries = node.items.map(({ key, value }): ConfigEntry => {
      const keyLine = lineOf(key, lines);
      const name = isScalar(key) ? String(key.value) : "";
      return { key: name, line: keyLine, value: toNode(value, lines, keyLine) };
    });
    return new ConfigNode({ line, kind: "map", entries });
  }
  if (isSeq(node)) {
    return new ConfigNode({ line, kind: "list", items: node.items.map((item) => toNode(item, lines, line)) });
  }
  if (isScalar(node)) return new ConfigNode({ line, kind: "scalar", scalar: node.value });
  return new ConfigNode({ line, kind: "other" });
}

function lineOf(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}
