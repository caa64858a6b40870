import { PROVIDER_NAMES, providerInfo } from "../../providers/registry.js";
import { type ConfigEntry, type KnownKeys, readConfigFile } from "../config/yaml-config.js";
import { ConfigError } from "../core/errors.js";
import { LimitScope, type ScopeLimits } from "../limits/limit-scope.js";
import { keyFingerprint, newHealth, type PoolKey } from "./pool-key.js";

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

export interface PoolSettings {
  /** Default per-scope limits from --tpm/--rpm. */
  defaults: ScopeLimits;
  /** The base URL for a provider from --base-url or its environment variable. */
  baseUrl: (provider: string) => string | undefined;
}

/** The keys for a provider from its environment variables: the list variable, else the single one. */
export function keysFromEnv(provider: string, env: Env): string[] {
  const names = providerInfo(provider)?.keyEnv;
  if (!names) return [];
  const list = env[names.list];
  const keys = list !== undefined && list.trim() !== "" ? list.split(",") : [env[names.single] ?? ""];
  return keys.map((key) => key.trim()).filter((key) => key !== "");
}

/**
 * The pool's keys for the providers a run uses: from the pool file where it has keys for a
 * provider, else from the environment. A provider that needs a key and has none is an error
 * (exit 2, before anything is sent).
 */
export function buildPoolKeys(
  providers: Iterable<string>,
  specs: readonly KeySpec[],
  env: Env,
  settings: PoolSettings,
): PoolKey[] {
  const chosenSpecs: { spec: KeySpec; fingerprint: string; scopeName: string }[] = [];
  for (const provider of providers) {
    const info = providerInfo(provider);
    let chosen = specs.filter((s) => s.provider === provider);
    if (chosen.length === 0) {
      if (info?.keyEnv) {
        chosen = keysFromEnv(provider, env).map((value) => ({ provider, value, limits: {}, weight: 1 }));
        if (chosen.length === 0) {
          throw new ConfigError(
            `no API key for ${provider}: set ${info.keyEnv.single} (or ${info.keyEnv.list} with several, comma-separated), or give --keys`,
          );
        }
      } else {
        chosen = [{ provider, value: undefined, limits: {}, weight: 1 }];
      }
    }
    for (const spec of chosen) {
      const fingerprint = keyFingerprint(spec.value);
      chosenSpecs.push({ spec, fingerprint, scopeName: `${provider}:${spec.scope ?? fingerprint}` });
    }
  }
  // Keys of one scope share one limit: where they name different ones, the lower wins.
  const scopeLimits = new Map<string, ScopeLimits>();
  for (const { spec, scopeName } of chosenSpecs) {
    const limits: ScopeLimits = { ...scopeLimits.get(scopeName) };
    for (const [dimension, limit] of Object.entries({ ...settings.defaults, ...spec.limits })) {
      const name = dimension as keyof ScopeLimits;
      limits[name] = Math.min(limits[name] ?? limit, limit);
    }
    scopeLimits.set(scopeName, limits);
  }
  const scopes = new Map<string, LimitScope>();
  return chosenSpecs.map(({ spec, fingerprint, scopeName }) => {
    let scope = scopes.get(scopeName);
    if (!scope) {
      scope = new LimitScope(scopeName, scopeLimits.get(scopeName));
      scopes.set(scopeName, scope);
    }
    return {
      fingerprint,
      provider: spec.provider,
      value: spec.value,
      baseUrl: spec.baseUrl ?? settings.baseUrl(spec.provider),
      weight: spec.weight,
      scope,
      health: newHealth(),
    };
  });
}

/** The fields of one key in a pool file. */
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
