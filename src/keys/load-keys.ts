import { PROVIDER_NAMES, providerInfo } from "../../providers/registry.js";
import { type ConfigEntry, type KnownKeys, readConfigFile } from "../config/yaml-config.js";
import type { ScopeLimits } from "../core/limiter.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** One key as configured, before it joins a pool. */
export interface KeySpec {
  provider: string;
  value: string | undefined;
  scope?: string | undefined;
  limits: ScopeLimits;
  weight: number;
  baseUrl?: string | undefined;
}

/** The keys for a provider from its environment variables: the list variable, else the single one. */
export function keysFromEnv(provider: string, env: Env): string[] {
  const names = providerInfo(provider)?.keyEnv;
  if (!names) return [];
  const list = env[names.list];
  const keys = list !== undefined && list.trim() !== "" ? list.split(",") : [env[names.single] ?? ""];
  return keys.map((key) => key.trim()).filter((key) => key !== "");
}

const KEY_FIELDS: KnownKeys = {
  allowed: new Set(["provider", "key", "scope", "tpm", "rpm", "itpm", "otpm", "weight", "base_url"]),
  noun: "field",
};

/** Reads a `--keys` pool file (YAML or JSON), checking every entry; `env:NAME` reads a variable. */
export function loadKeyFile(path: string, env: Env): KeySpec[] {
  const file = readConfigFile(path, { what: "key pool file" });
  const list = file.root?.get("keys")?.value;
  if (list?.kind !== "list") throw file.failure(file.root, 'expected "keys:" with a list of keys');
  const specs: KeySpec[] = [];
  for (const entry of list.items) {
    if (entry.kind !== "map") {
      file.problem(entry, "each key is a mapping with provider and key");
      continue;
    }
    const fields = new Map<string, ConfigEntry>();
    for (const field of entry.entries) if (file.knownKey(field, KEY_FIELDS)) fields.set(field.key, field);
    /** A field's scalar value; undefined when it is absent or not a scalar. */
    const scalarOf = (field: string) => fields.get(field)?.value.scalar;
    /** A problem with one field, at its own line (the entry's when the field is absent). */
    const fieldProblem = (field: string, message: string) =>
      file.problem(fields.get(field) ?? entry, message);
    const provider = scalarOf("provider");
    if (typeof provider !== "string" || !PROVIDER_NAMES.includes(provider)) {
      fieldProblem(
        "provider",
        `provider must be one of ${PROVIDER_NAMES.join(", ")}, got ${JSON.stringify(provider ?? null)}`,
      );
      continue;
    }
    let value = scalarOf("key");
    if (typeof value !== "string" || value === "") {
      fieldProblem("key", "key is missing (the key itself, or env:NAME)");
      continue;
    }
    if (value.startsWith("env:")) {
      const name = value.slice(4);
      value = env[name];
      if (value === undefined || value === "") {
        fieldProblem("key", `environment variable ${name} is not set`);
        continue;
      }
    }
    const limits: ScopeLimits = {};
    for (const [field, dimension] of [
      ["tpm", "tokens"],
      ["rpm", "requests"],
      ["itpm", "inputTokens"],
      ["otpm", "outputTokens"],
    ] as const) {
      const limit = scalarOf(field);
      if (limit === undefined) continue;
      if (typeof limit !== "number" || !(limit > 0))
        fieldProblem(field, `${field} must be a positive number`);
      else limits[dimension] = limit;
    }
    const weight = scalarOf("weight") ?? 1;
    if (typeof weight !== "number" || !(weight > 0))
      fieldProblem("weight", "weight must be a positive number");
    const scope = scalarOf("scope");
    const baseUrl = scalarOf("base_url");
    specs.push({
      provider,
      value: value as string,
      scope: typeof scope === "string" || typeof scope === "number" ? String(scope) : undefined,
      limits,
      weight: typeof weight === "number" ? weight : 1,
      baseUrl: typeof baseUrl === "string" ? baseUrl : undefined,
    });
  }
  file.check();
  return specs;
}
