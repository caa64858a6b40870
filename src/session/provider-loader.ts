import { providerInfo } from "../../providers/registry.js";
import type { Provider, ProviderOptions } from "../core/provider.js";

/** Loads each provider's module once, when it is first needed, with the injected fetch, sleep and random. */
export function providerLoader(options: ProviderOptions = {}): (name: string) => Promise<Provider> {
  const loaded = new Map<string, Promise<Provider>>();
  return (name) => {
    let provider = loaded.get(name);
    if (!provider) {
      const info = providerInfo(name);
      if (!info) return Promise.reject(new Error(`provider ${name} is not registered`));
      provider = info.load().then((module) => module.createProvider(options));
      loaded.set(name, provider);
    }
    return provider;
  };
}
