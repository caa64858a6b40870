import { providerBaseUrl } from "../../providers/registry.js";
import { ConfigError } from "../core/errors.js";
import type { BatchContext } from "../core/provider.js";
import { planKeys } from "../keys/key-plan.js";
import type { Env, KeySpec } from "../keys/load-keys.js";

/** A key batch calls go out with: its limit scope (a batch is collected with a key of its scope). */
export interface BatchKey {
  provider: string;
  key: string | undefined;
  fingerprint: string;
  scope: string;
  baseUrl: string | undefined;
}

/** The keys of each provider, by scope: chunks are spread over scopes, and each scope's batches stay with it. */
export class BatchKeys {
  private readonly byProvider = new Map<string, BatchKey[]>();
  private turn = 0;

  constructor(
    providers: readonly string[],
    specs: readonly KeySpec[],
    env: Env,
    baseUrl: { provider: string; url: string } | undefined,
  ) {
    const plan = planKeys(providers, specs, env, {});
    if (plan.missing[0]) throw new ConfigError(plan.missing[0].message);
    for (const planned of plan.keys) {
      const provider = planned.spec.provider;
      const keys = this.byProvider.get(provider) ?? [];
      keys.push({
        provider,
        key: planned.spec.value,
        fingerprint: planned.fingerprint,
        scope: planned.scope,
        baseUrl: planned.spec.baseUrl ?? providerBaseUrl(provider, baseUrl, env),
      });
      this.byProvider.set(provider, keys);
    }
  }

  /** The scope the next chunk of `provider` goes to, in turn (one key of each scope). */
  nextScope(provider: string): BatchKey {
    const scopes = [...new Map((this.byProvider.get(provider) ?? []).map((k) => [k.scope, k])).values()];
    const key = scopes[this.turn++ % Math.max(1, scopes.length)];
    if (!key) throw new ConfigError(`no API key for ${provider}`);
    return key;
  }

  /** A key of `scope`, the one its batches were created with when it is still there. */
  forScope(provider: string, scope: string, fingerprint: string): BatchKey {
    const keys = (this.byProvider.get(provider) ?? []).filter((k) => k.scope === scope);
    const key = keys.find((k) => k.fingerprint === fingerprint) ?? keys[0];
    if (!key) {
      throw new ConfigError(
        `a ${provider} batch of this run was created with a key of scope ${scope} (key ${fingerprint}), which is not given now: give a key of that scope (--keys or the environment) to collect it`,
      );
    }
    return key;
  }
}

export function batchContext(key: BatchKey, signal: AbortSignal): BatchContext {
  return { key: key.key, baseUrl: key.baseUrl, signal };
}
