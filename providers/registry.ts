import type { ProviderModule } from "../src/core/provider.js";
import { checkMockModel } from "./mock/mock-model.js";

/** What metasync knows of a provider without loading its module (and its SDK). */
export interface ProviderInfo {
  name: string;
  /** Environment variables holding one key, then a comma-separated list of keys; none for offline providers. */
  keyEnv?: { single: string; list: string };
  /** Environment variable with the default base URL. */
  baseUrlEnv?: string;
  /** Returns a problem with this model name, or undefined if the provider accepts it. */
  checkModel?: (model: string) => string | undefined;
  load: () => Promise<ProviderModule>;
}

const PROVIDERS: readonly ProviderInfo[] = [
  {
    name: "mock",
    checkModel: checkMockModel,
    load: () => import("./mock/index.js"),
  },
  {
    name: "openai",
    keyEnv: { single: "OPENAI_API_KEY", list: "OPENAI_API_KEYS" },
    baseUrlEnv: "OPENAI_BASE_URL",
    load: () => import("./openai/index.js"),
  },
  {
    name: "anthropic",
    keyEnv: { single: "ANTHROPIC_API_KEY", list: "ANTHROPIC_API_KEYS" },
    baseUrlEnv: "ANTHROPIC_BASE_URL",
    load: () => import("./anthropic/index.js"),
  },
];

export const PROVIDER_NAMES: readonly string[] = PROVIDERS.map((p) => p.name);

export function providerInfo(name: string): ProviderInfo | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

/**
 * Where a provider's requests go when its key names no base URL: the URL given for it (`--base-url`,
 * which applies to the provider of `--model`), else its environment variable (`OPENAI_BASE_URL`,
 * `ANTHROPIC_BASE_URL`); undefined for the official endpoint.
 */
export function providerBaseUrl(
  provider: string,
  given: { provider: string; url: string } | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (given?.provider === provider) return given.url;
  const variable = providerInfo(provider)?.baseUrlEnv;
  return variable ? env[variable] : undefined;
}
