import { ProviderError } from "../src/core/errors.js";
import type { CallContext } from "../src/core/provider.js";

/** How long an SDK client waits at most; the engine's signal normally ends a request much sooner. */
export const CLIENT_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * One SDK client per key and base URL, made on first use. The SDK's own retries are off in every
 * client made here (the engine owns retries and budgets), so clients differ only in key and URL.
 */
export class ClientCache<Client> {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly provider: string,
    private readonly defaultBaseUrl: string,
    private readonly make: (key: string, baseUrl: string) => Client,
  ) {}

  /** The base URL a request with this context goes to. */
  endpointFor(context: CallContext): string {
    return context.baseUrl ?? this.defaultBaseUrl;
  }

  clientFor(context: CallContext): Client {
    const key = context.key;
    if (key === undefined || key === "") {
      throw new ProviderError(`${this.provider}: no API key was given for this request`, { type: "auth" });
    }
    const baseUrl = this.endpointFor(context);
    const id = `${baseUrl}\u0000${key}`;
    let client = this.clients.get(id);
    if (client === undefined) {
      client = this.make(key, baseUrl);
      this.clients.set(id, client);
    }
    return client;
  }
}
