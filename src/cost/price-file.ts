import { PROVIDER_NAMES } from "../../providers/registry.js";
import {
  type ConfigEntry,
  type ConfigFile,
  type ConfigNode,
  type KnownKeys,
  parseConfig,
} from "../config/yaml-config.js";

/** USD per million tokens. */
export interface ModelPrice {
  /** Prompt tokens that were not prompt-cache hits. */
  input: number;
  /** Prompt-cache hits (OpenAI cached input, Anthropic cache reads); `input` when not given. */
  cached_input?: number;
  output: number;
  /** Fraction taken off with the provider's batch API: 0.5 is half price. */
  batch_discount?: number;
  /** The model's context window in tokens (prompt and answer together), where it is known. */
  context_window?: number;
}

/** A prices file, checked. */
export interface PriceFile {
  models: Map<string, ModelPrice>;
  /** `provider:alias` → `provider:model` of an entry. */
  aliases: Map<string, string>;
  checked: string | undefined;
}

const PRICE_FIELDS = ["input", "cached_input", "output", "batch_discount"] as const;
const ENTRY_FIELDS: KnownKeys = {
  allowed: new Set([...PRICE_FIELDS, "context_window", "note"]),
  noun: "field",
  listed: true,
};
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
const LONG_FORM_KEYS: KnownKeys = { allowed: new Set(["models", "aliases", ...NOTE_KEYS]), listed: true };
const KEY_SHAPE = /^([a-z][a-z0-9_-]*):(\S+)$/;

/**
 * Parses a prices file, YAML or JSON. Short form: `provider:model: {input, output, …}` at the top.
 * Long form (prices.json): `models:` holding those entries, `aliases:`, and notes. Every problem is
 * reported together, each with its file and line.
 */
export function parsePriceFile(text: string, path: string): PriceFile {
  const file = parseConfig(text, path, { syntax: "YAML/JSON" });
  const result: PriceFile = { models: new Map(), aliases: new Map(), checked: undefined };
  const root = file.root;
  if (root === undefined) return result;
  if (root.kind !== "map") {
    throw file.failure(
      root,
      "a prices file is a mapping of provider:model to {input, output, cached_input, batch_discount}",
    );
  }
  const longForm = root.get("models") !== undefined;
  let models: ConfigNode | undefined = longForm ? undefined : root;
  if (longForm) {
    for (const entry of root.entries) {
      if (!file.knownKey(entry, LONG_FORM_KEYS)) continue;
      const { key, value } = entry;
      if (key === "models") {
        if (value.kind === "map") models = value;
        else file.problem(value, '"models" must be a mapping of provider:model to prices');
      } else if (key === "aliases") {
        readAliases(file, value, result.aliases);
      } else if (key === "checked") {
        result.checked = value.string();
        if (result.checked === undefined) file.problem(value, '"checked" must be a date, e.g. "2025-11-01"');
      }
    }
  }
  for (const entry of models?.entries ?? []) {
    if (!checkKey(file, entry)) continue;
    const price = readEntry(file, entry.key, entry.value);
    if (price) result.models.set(entry.key, price);
  }
  file.check();
  return result;
}

/** Whether an entry's key is `provider:model` with a known provider; records why not. */
function checkKey(file: ConfigFile, entry: ConfigEntry): boolean {
  const shape = KEY_SHAPE.exec(entry.key);
  if (!shape) {
    file.problem(entry, `"${entry.key}" is not a provider:model key (e.g. openai:gpt-4o-mini)`);
    return false;
  }
  if (!PROVIDER_NAMES.includes(shape[1] as string)) {
    file.problem(
      entry,
      `"${entry.key}": unknown provider "${shape[1]}" (known: ${PROVIDER_NAMES.join(", ")})`,
    );
    return false;
  }
  return true;
}

function readEntry(file: ConfigFile, name: string, node: ConfigNode): ModelPrice | undefined {
  if (node.kind !== "map") {
    file.problem(node, `${name}: expected {input, output} in USD per million tokens`);
    return undefined;
  }
  const values: Record<string, number> = {};
  let ok = true;
  for (const entry of node.entries) {
    if (!file.knownKey(entry, ENTRY_FIELDS, name)) {
      ok = false;
      continue;
    }
    const { key: field, value } = entry;
    if (field === "note") continue;
    if (field === "context_window") {
      const tokens = value.integer();
      if (tokens === undefined || tokens < 1) {
        file.problem(value, `${name}: "context_window" must be a whole number of tokens`);
        ok = false;
      } else values[field] = tokens;
      continue;
    }
    const number = value.number();
    const limit = field === "batch_discount" ? 1 : Number.POSITIVE_INFINITY;
    if (number === undefined || number < 0 || number > limit) {
      const what =
        field === "batch_discount"
          ? "a fraction between 0 and 1 (0.5 = half price)"
          : "a non-negative number (USD per million tokens)";
      file.problem(value, `${name}: "${field}" must be ${what}`);
      ok = false;
      continue;
    }
    values[field] = number;
  }
  for (const required of ["input", "output"] as const) {
    if (values[required] === undefined && ok) {
      file.problem(node, `${name}: "${required}" is missing (USD per million tokens)`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const price: ModelPrice = { input: values.input as number, output: values.output as number };
  if (values.cached_input !== undefined) price.cached_input = values.cached_input;
  if (values.batch_discount !== undefined) price.batch_discount = values.batch_discount;
  if (values.context_window !== undefined) price.context_window = values.context_window;
  return price;
}

function readAliases(file: ConfigFile, node: ConfigNode, aliases: Map<string, string>): void {
  if (node.kind !== "map") {
    file.problem(node, '"aliases" must be a mapping of provider:alias to provider:model');
    return;
  }
  for (const entry of node.entries) {
    if (!checkKey(file, entry)) continue;
    const target = entry.value.string();
    if (target === undefined || !KEY_SHAPE.test(target)) {
      file.problem(entry.value, `alias ${entry.key} must name a provider:model entry`);
      continue;
    }
    aliases.set(entry.key, target);
  }
}
