import { isAbsolute, resolve } from "node:path";
import type { ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import { STRATEGIES } from "../../keys/key-strategy.js";
import { type OptionType, optionByName } from "../../recipe/option-table.js";
import { OPTION_TYPE_NAMES, optionValue } from "../../recipe/option-value.js";
import type { EvalRunOptions } from "./types.js";

type BlockKey = keyof EvalRunOptions;

/** `run`'s sending options a config may set (flags override them), by their camelCase names. */
const RUN_KEYS: readonly BlockKey[] = [
  "tpm",
  "rpm",
  "keys",
  "strategy",
  "concurrency",
  "maxAttempts",
  "timeout",
  "baseUrl",
  "maxCost",
  "cache",
  "progress",
  "prices",
  "fallback",
  "stream",
];

/** eval's own options a config may set. */
const EVAL_OPTIONS: Readonly<Record<string, { key: BlockKey; type: OptionType }>> = {
  grader: { key: "grader", type: "string" },
  passRate: { key: "passRate", type: "number" },
  repeat: { key: "repeat", type: "integer" },
};

/** Options that name files: relative to the config's directory. */
const PATH_KEYS = new Set<BlockKey>(["keys", "prices"]);
/** Options that must be above zero. */
const POSITIVE_KEYS = new Set<BlockKey>(["tpm", "rpm", "concurrency", "maxAttempts", "timeout", "repeat"]);

/**
 * The `metasync:` block: `run`'s option names (`tpm`, `max_cost`, `maxCost`, `max-cost` alike) and
 * eval's `grader`, `pass_rate`, `repeat`, each checked for its type where it is.
 */
export function readMetasyncBlock(node: ConfigNode, file: ConfigFile, baseDir: string): EvalRunOptions {
  if (node.kind !== "map") {
    file.problem(node, "metasync must be a mapping of run options (tpm, rpm, keys, max_cost, …)");
    return {};
  }
  const values: Record<string, unknown> = {};
  for (const entry of node.entries) {
    const option = optionOf(entry.key);
    if (!option) {
      const known = [...RUN_KEYS, ...Object.keys(EVAL_OPTIONS)].map(snake).join(", ");
      file.problem(entry, `metasync.${entry.key} is not an option here (known: ${known})`);
      continue;
    }
    const value = optionValue(option.type, entry.value);
    const problem =
      value === undefined ? `must be ${OPTION_TYPE_NAMES[option.type]}` : rangeProblem(option.key, value);
    if (problem) {
      file.problem(entry.value, `metasync.${entry.key} ${problem}`);
      continue;
    }
    values[option.key] =
      PATH_KEYS.has(option.key) && typeof value === "string" && !isAbsolute(value)
        ? resolve(baseDir, value)
        : value;
  }
  return values as EvalRunOptions;
}

function optionOf(name: string): { key: BlockKey; type: OptionType } | undefined {
  const camel = name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
  const own = EVAL_OPTIONS[camel];
  if (own) return own;
  const spec = optionByName(name);
  if (!spec || !(RUN_KEYS as readonly string[]).includes(spec.key)) return undefined;
  return { key: spec.key as BlockKey, type: spec.type };
}

function rangeProblem(key: BlockKey, value: unknown): string | undefined {
  if (POSITIVE_KEYS.has(key) && typeof value === "number" && value <= 0) return "must be above 0";
  if (key === "maxCost" && typeof value === "number" && value < 0) return "must be 0 or more";
  if (key === "passRate" && typeof value === "number" && (value < 0 || value > 100)) {
    return "must be a percentage from 0 to 100";
  }
  if (key === "strategy" && !(STRATEGIES as readonly unknown[]).includes(value)) {
    return `must be one of ${STRATEGIES.join(", ")}`;
  }
  return undefined;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
