import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { PROVIDER_NAMES } from "../../providers/registry.js";
import { ConfigError, formatProblem, type InputProblem } from "../core/errors.js";

/** USD per million tokens. */
export interface ModelPrice {
  /** Prompt tokens that were not prompt-cache hits. */
  input: number;
  /** Prompt-cache hits (OpenAI cached input, Anthropic cache reads); `input` when not given. */
  cached_input?: number;
  output: number;
  /** Fraction taken off with the provider's batch API: 0.5 is half price. */
  batch_discount?: number;
}

/** A prices file, checked. */
export interface PriceFile {
  models: Map<string, ModelPrice>;
  /** `provider:alias` → `provider:model` of an entry. */
  aliases: Map<string, string>;
  checked: string | undefined;
}

const PRICE_FIELDS = ["input", "cached_input", "output", "batch_discount"] as const;
const ENTRY_FIELDS = new Set<string>([...PRICE_FIELDS, "note"]);
/** Keys of the long form besides `models` and `aliases`: notes for people. */
const NOTE_KEYS = new Set([
  "about",
  "checked",
  "prices_as_of",
  "verified_online",
  "sources",
  "caveats",
  "note",
]);
const KEY_SHAPE = /^([a-z][a-z0-9_-]*):(\S+)$/;

/**
 * Parses a prices file, YAML or JSON. Short form: `provider:model: {input, output, …}` at the top.
 * Long form (prices.json): `models:` holding those entries, `aliases:`, and notes. Every problem is
 * reported together, each with its file and line.
 */
export function parsePriceFile(text: string, file: string): PriceFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  const problems: InputProblem[] = document.errors.map((error) => ({
    file,
    line: lines.linePos(error.pos[0]).line,
    message: `malformed YAML/JSON: ${error.message.split("\n")[0]}`,
  }));
  if (problems.length > 0) throw priceError(problems);
  const problem = (node: unknown, message: string) => problems.push({ file, line: lineOf(node), message });

  const result: PriceFile = { models: new Map(), aliases: new Map(), checked: undefined };
  const root = document.contents;
  if (root === null) return result;
  if (!isMap(root)) {
    problem(
      root,
      "a prices file is a mapping of provider:model to {input, output, cached_input, batch_discount}",
    );
    throw priceError(problems);
  }
  const longForm = root.items.some((pair) => isScalar(pair.key) && pair.key.value === "models");
  let models: YAMLMap | undefined = longForm ? undefined : root;
  if (longForm) {
    for (const { key, value } of root.items) {
      const name = isScalar(key) ? String(key.value) : "";
      if (name === "models") {
        if (isMap(value)) models = value;
        else problem(value ?? key, '"models" must be a mapping of provider:model to prices');
      } else if (name === "aliases") {
        readAliases(value ?? key, result.aliases, problem);
      } else if (name === "checked") {
        if (isScalar(value) && typeof value.value === "string") result.checked = value.value;
        else problem(value ?? key, '"checked" must be a date, e.g. "2025-11-01"');
      } else if (!NOTE_KEYS.has(name)) {
        problem(key, `unknown key "${name}" (known: models, aliases, ${[...NOTE_KEYS].join(", ")})`);
      }
    }
  }
  for (const { key, value } of models?.items ?? []) {
    const name = isScalar(key) ? String(key.value) : "";
    if (!checkKey(name, key, problem)) continue;
    const price = readEntry(name, value ?? key, problem);
    if (price) result.models.set(name, price);
  }
  if (problems.length > 0) throw priceError(problems);
  return result;
}

type Problem = (node: unknown, message: string) => void;

function checkKey(name: string, node: unknown, problem: Problem): boolean {
  const shape = KEY_SHAPE.exec(name);
  if (!shape) {
    problem(node, `"${name}" is not a provider:model key (e.g. openai:gpt-4o-mini)`);
    return false;
  }
  if (!PROVIDER_NAMES.includes(shape[1] as string)) {
    problem(node, `"${name}": unknown provider "${shape[1]}" (known: ${PROVIDER_NAMES.join(", ")})`);
    return false;
  }
  return true;
}

function readEntry(name: string, node: unknown, problem: Problem): ModelPrice | undefined {
  if (!isMap(node)) {
    problem(node, `${name}: expected {input, output} in USD per million tokens`);
    return undefined;
  }
  const values: Record<string, number> = {};
  let ok = true;
  for (const { key, value } of node.items) {
    const field = isScalar(key) ? String(key.value) : "";
    if (!ENTRY_FIELDS.has(field)) {
      problem(key, `${name}: unknown field "${field}" (known: ${[...ENTRY_FIELDS].join(", ")})`);
      ok = false;
      continue;
    }
    if (field === "note") continue;
    const number = isScalar(value) ? value.value : undefined;
    const limit = field === "batch_discount" ? 1 : Number.POSITIVE_INFINITY;
    if (typeof number !== "number" || !Number.isFinite(number) || number < 0 || number > limit) {
      const what =
        field === "batch_discount"
          ? "a fraction between 0 and 1 (0.5 = half price)"
          : "a non-negative number (USD per million tokens)";
      problem(value ?? key, `${name}: "${field}" must be ${what}`);
      ok = false;
      continue;
    }
    values[field] = number;
  }
  for (const required of ["input", "output"] as const) {
    if (values[required] === undefined && ok) {
      problem(node, `${name}: "${required}" is missing (USD per million tokens)`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const price: ModelPrice = { input: values.input as number, output: values.output as number };
  if (values.cached_input !== undefined) price.cached_input = values.cached_input;
  if (values.batch_discount !== undefined) price.batch_discount = values.batch_discount;
  return price;
}

function readAliases(node: unknown, aliases: Map<string, string>, problem: Problem): void {
  if (!isMap(node)) {
    problem(node, '"aliases" must be a mapping of provider:alias to provider:model');
    return;
  }
  for (const { key, value } of node.items) {
    const name = isScalar(key) ? String(key.value) : "";
    if (!checkKey(name, key, problem)) continue;
    const target = isScalar(value) && typeof value.value === "string" ? value.value : undefined;
    if (target === undefined || !KEY_SHAPE.test(target)) {
      problem(value ?? key, `alias ${name} must name a provider:model entry`);
      continue;
    }
    aliases.set(name, target);
  }
}

function priceError(problems: InputProblem[]): ConfigError {
  return new ConfigError(problems.map(formatProblem).join("\n"));
}
