import { formatModelRef, type ModelRef } from "../core/types.js";
import { nearestName } from "./nearest-name.js";

/** The models metasync knows: the price table's entries and aliases (cost/PriceTable). */
export interface KnownModels {
  lookup(model: string): { key: string } | undefined;
  keys(): string[];
  aliasEntries(): [alias: string, target: string][];
}

/**
 * Warnings for models one edit away from a known one (`openai:gpt-4o-mnii` → "did you mean
 * openai:gpt-4o-mini?"). Only a warning: a model metasync does not know (a fine-tune, a self-hosted
 * model, one newer than the price table) is sent as it is.
 */
export function modelTypos(models: readonly ModelRef[], known: KnownModels): string[] {
  const names = [...known.keys(), ...known.aliasEntries().map(([alias]) => alias)].filter(
    (name) => !name.endsWith(":*"),
  );
  const warnings: string[] = [];
  for (const name of new Set(models.map(formatModelRef))) {
    if (known.lookup(name)) continue;
    const provider = name.slice(0, name.indexOf(":") + 1);
    const nearest = nearestName(
      name,
      names.filter((candidate) => candidate.startsWith(provider)),
      1,
    );
    if (nearest !== undefined) {
      warnings.push(`model ${name} is not one metasync knows: did you mean ${nearest}? (sent as given)`);
    }
  }
  return warnings;
}
