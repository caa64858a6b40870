import { type KnownKeys, readConfigFile } from "../config/yaml-config.js";
import { type OptionSpec, optionByName, type RunOptionValues } from "./option-table.js";
import { OPTION_TYPE_NAMES, optionValue } from "./option-value.js";

/** A recipe: `run` options in a YAML file, with template and system; flags override it. */
export interface Recipe {
  path: string;
  values: RunOptionValues;
}

/** Keys a recipe may have that are not options: notes for people. */
const NOTE_KEYS = new Set(["description", "name"]);

/** A recipe's keys: the options a recipe may set, in any spelling, and the notes. */
const RECIPE_KEYS: KnownKeys = {
  allowed: (key) => NOTE_KEYS.has(key) || optionByName(key)?.inRecipe === true,
};

export function loadRecipe(path: string): Recipe {
  const file = readConfigFile(path, { what: "recipe file" });
  const root = file.root;
  if (root === undefined) return { path, values: {} };
  if (root.kind !== "map") throw file.failure(root, "a recipe is a mapping of option: value");

  const values: Record<string, unknown> = {};
  for (const entry of root.entries) {
    if (!file.knownKey(entry, RECIPE_KEYS) || NOTE_KEYS.has(entry.key)) continue;
    const spec = optionByName(entry.key) as OptionSpec;
    const value = optionValue(spec.type, entry.value);
    if (value === undefined)
      file.problem(entry.value, `"${entry.key}" must be ${OPTION_TYPE_NAMES[spec.type]}`);
    else values[spec.key] = value;
  }
  file.check();
  return { path, values: values as RunOptionValues };
}
