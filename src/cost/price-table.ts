import { readFileSync } from "node:fs";
import { ConfigError } from "../core/errors.js";
import { formatModelRef, type ModelRef } from "../core/types.js";
import { type ModelPrice, type PriceFile, parsePriceFile } from "./price-file.js";

export type { ModelPrice, PriceFile } from "./price-file.js";

/**
 * Naming the built-in table's type makes tsc copy prices.json next to the compiled module, where
 * `BUILT_IN_URL` finds it at run time (JSON is read, not imported, so Node 20.0+ loads it silently).
 */
export type BuiltInPriceFile = typeof import("./prices.json");
const BUILT_IN_URL = new URL("./prices.json", import.meta.url);

/** A price found for a model, and the table entry it came from (after aliases and snapshots). */
export interface PriceMatch {
  /** The entry's key, e.g. `openai:gpt-4o-mini` for `openai:gpt-4o-mini-2024-07-18`. */
  key: string;
  price: ModelPrice;
}

/**
 * Dated snapshot suffixes: `-2024-07-18` (OpenAI), `-20251001` (Anthropic), `-0125` (older OpenAI).
 * A snapshot takes the price of the entry it extends unless it has an entry of its own.
 */
const SNAPSHOT_SUFFIX = /-(?:20\d\d-[01]\d-[0-3]\d|20\d\d[01]\d[0-3]\d|(?:0[1-9]|1[0-2])[0-3]\d)$/;

/** List prices keyed `provider:model` (DESIGN §7). An unpriced model has no price, never a zero one. */
export class PriceTable {
  private constructor(
    private readonly models: ReadonlyMap<string, ModelPrice>,
    private readonly aliases: ReadonlyMap<string, string>,
    /** When the built-in prices were last checked (`YYYY-MM-DD`). */
    readonly checked: string | undefined,
  ) {}

  static from(file: PriceFile): PriceTable {
    return new PriceTable(file.models, file.aliases, file.checked);
  }

  /** This table with `file`'s entries added; an entry of `file` replaces a whole entry of this one. */
  merge(file: PriceFile): PriceTable {
    return new PriceTable(
      new Map([...this.models, ...file.models]),
      new Map([...this.aliases, ...file.aliases]),
      this.checked,
    );
  }

  /**
   * The price of `provider:model`: its own entry or alias, else that of the model it is a dated
   * snapshot of, else the provider's `provider:*` entry; undefined when none applies.
   */
  lookup(model: string | ModelRef): PriceMatch | undefined {
    const name = typeof model === "string" ? model : formatModelRef(model);
    const colon = name.indexOf(":");
    if (colon <= 0) return undefined;
    const provider = name.slice(0, colon);
    const bare = name.slice(colon + 1);
    const undated = bare.replace(SNAPSHOT_SUFFIX, "");
    return (
      this.entry(`${provider}:${bare}`) ??
      (undated !== bare && undated !== "" ? this.entry(`${provider}:${undated}`) : undefined) ??
      this.entry(`${provider}:*`)
    );
  }

  /** The context window of `provider:model` in tokens, where its entry gives one. */
  contextWindow(model: string | ModelRef): number | undefined {
    return this.lookup(model)?.price.context_window;
  }

  /** Every entry's key, sorted (for listings and tests). */
  keys(): string[] {
    return [...this.models.keys()].sort();
  }

  /** Each alias and the entry it names. */
  aliasEntries(): [alias: string, target: string][] {
    return [...this.aliases];
  }

  private entry(key: string): PriceMatch | undefined {
    const price = this.models.get(key);
    if (price) return { key, price };
    const target = this.aliases.get(key);
    const aliased = target === undefined ? undefined : this.models.get(target);
    return target !== undefined && aliased ? { key: target, price: aliased } : undefined;
  }
}

let builtIn: PriceTable | undefined;

/** The table shipped in prices.json. */
export function builtInPrices(): PriceTable {
  builtIn ??= PriceTable.from(parsePriceFile(readFileSync(BUILT_IN_URL, "utf8"), "prices.json (built-in)"));
  return builtIn;
}

/** Reads a `--prices` file (YAML or JSON). */
export function readPriceFile(path: string): PriceFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: ${code === "ENOENT" ? "no such prices file" : (error as Error).message}`);
  }
  return parsePriceFile(text, path);
}

/** The built-in prices with a `--prices` file's entries on top. */
export function loadPriceTable(options: { overrides?: string | undefined } = {}): PriceTable {
  const table = builtInPrices();
  return options.overrides === undefined ? table : table.merge(readPriceFile(options.overrides));
}
