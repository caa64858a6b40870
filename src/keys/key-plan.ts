import { providerInfo } from "../../providers/registry.js";
import { ConfigError } from "../core/errors.js";
import type { Limiter, LimiterFactory, ScopeLimits } from "../core/limiter.js";
import { LimitScope } from "../limits/limit-scope.js";
import { type Env, type KeySpec, keysFromEnv } from "./load-keys.js";
import { keyFingerprint, newHealth, type PoolKey } from "./pool-key.js";

/** One key as planned: its spec, fingerprint and scope. */
export interface PlannedKey {
  spec: KeySpec;
  fingerprint: string;
  scope: string;
}

/** One limit scope as planned: the keys that share it and the limits they share. */
export interface PlannedScope {
  /** `provider:scope`, or `provider:fingerprint` for a key that is its own scope. */
  name: string;
  provider: string;
  limits: ScopeLimits;
  keys: PlannedKey[];
}

/** Which keys and scopes a run would use; `missing` names each provider that needs a key and has none. */
export interface KeyPlan {
  /** Every key, in the order the file or the environment gives them. */
  keys: PlannedKey[];
  scopes: PlannedScope[];
  missing: { provider: string; message: string }[];
}

/**
 * Groups the keys of the providers a run uses into limit scopes (DESIGN §6): keys from the pool
 * file where it has any for a provider, else from the environment; a key is its own scope unless
 * the file gives several one `scope`, and keys of one scope share the lowest limit any of them names
 * (with `defaults`, from --tpm/--rpm, under every key). The key pool and the dry run both use it.
 */
export function planKeys(
  providers: Iterable<string>,
  specs: readonly KeySpec[],
  env: Env,
  defaults: ScopeLimits,
): KeyPlan {
  const scopes = new Map<string, PlannedScope>();
  const keys: PlannedKey[] = [];
  const missing: KeyPlan["missing"] = [];
  for (const provider of providers) {
    const info = providerInfo(provider);
    let chosen = specs.filter((s) => s.provider === provider);
    if (chosen.length === 0) {
      if (info?.keyEnv) {
        chosen = keysFromEnv(provider, env).map((value) => ({ provider, value, limits: {}, weight: 1 }));
        if (chosen.length === 0) {
          missing.push({
            provider,
            message: `no API key for ${provider}: set ${info.keyEnv.single} (or ${info.keyEnv.list} with several, comma-separated), or give --keys`,
          });
        }
      } else {
        chosen = [{ provider, value: undefined, limits: {}, weight: 1 }];
      }
    }
    for (const spec of chosen) {
      const fingerprint = keyFingerprint(spec.value);
      const name = `${provider}:${spec.scope ?? fingerprint}`;
      let scope = scopes.get(name);
      if (!scope) {
        scope = { name, provider, limits: {}, keys: [] };
        scopes.set(name, scope);
      }
      const planned = { spec, fingerprint, scope: name };
      scope.keys.push(planned);
      keys.push(planned);
      // Keys of one scope share one limit: where they name different ones, the lower wins.
      for (const [dimension, limit] of Object.entries({ ...defaults, ...spec.limits })) {
        const key = dimension as keyof ScopeLimits;
        scope.limits[key] = Math.min(scope.limits[key] ?? limit, limit);
      }
    }
  }
  return { keys, scopes: [...scopes.values()], missing };
}

export interface PoolSettings {
  /** Default per-scope limits from --tpm/--rpm. */
  defaults: ScopeLimits;
  /** The base URL for a provider from --base-url or its environment variable. */
  baseUrl: (provider: string) => string | undefined;
  /** Makes each scope's limiter; in-process `LimitScope`s by default. */
  limiter?: LimiterFactory | undefined;
}

export const inProcessLimiter: LimiterFactory = (name, limits) => new LimitScope(name, limits);

/**
 * The pool's keys for the providers a run uses, each with its scope's limiter. A provider that
 * needs a key and has none is an error (exit 2, before anything is sent).
 */
export function buildPoolKeys(
  providers: Iterable<string>,
  specs: readonly KeySpec[],
  env: Env,
  settings: PoolSettings,
): PoolKey[] {
  const plan = planKeys(providers, specs, env, settings.defaults);
  const [missing] = plan.missing;
  if (missing) throw new ConfigError(missing.message);
  const makeLimiter = settings.limiter ?? inProcessLimiter;
  const limiters = new Map<string, Limiter>(plan.scopes.map((s) => [s.name, makeLimiter(s.name, s.limits)]));
  return plan.keys.map(({ spec, fingerprint, scope }) => ({
    fingerprint,
    provider: spec.provider,
    value: spec.value,
    baseUrl: spec.baseUrl ?? settings.baseUrl(spec.provider),
    weight: spec.weight,
    scope: limiters.get(scope) as Limiter,
    health: newHealth(),
  }));
}
