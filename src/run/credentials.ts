import { providerInfo } from "../../providers/registry.js";
import type { Credentials } from "../engine/item-runner.js";
import { ConfigError } from "../errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The keys for a provider from its environment variables: the list variable, else the single one. */
export function keysFromEnv(provider: string, env: Env): string[] {
  const names = providerInfo(provider)?.keyEnv;
  if (!names) return [];
  const list = env[names.list];
  const keys = list !== undefined && list.trim() !== "" ? list.split(",") : [env[names.single] ?? ""];
  return keys.map((key) => key.trim()).filter((key) => key !== "");
}

/**
 * Credentials for every provider a run uses, checked before anything is sent: a provider that needs a
 * key and has none is a configuration error. `--base-url` applies to the default model's provider.
 */
export function resolveCredentials(
  providers: Iterable<string>,
  env: Env,
  baseUrl: { provider: string; url: string } | undefined,
): (provider: string) => Credentials {
  const byProvider = new Map<string, Credentials>();
  for (const provider of providers) {
    const info = providerInfo(provider);
    const url =
      baseUrl?.provider === provider ? baseUrl.url : info?.baseUrlEnv ? env[info.baseUrlEnv] : undefined;
    if (!info?.keyEnv) {
      byProvider.set(provider, { baseUrl: url });
      continue;
    }
    const [key] = keysFromEnv(provider, env);
    if (!key) {
      throw new ConfigError(
        `no API key for ${provider}: set ${info.keyEnv.single} (or ${info.keyEnv.list} with several, comma-separated)`,
      );
    }
    byProvider.set(provider, { key, baseUrl: url });
  }
  return (provider) => byProvider.get(provider) ?? {};
}
