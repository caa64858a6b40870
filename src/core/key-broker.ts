import type { Charge } from "./charge.js";
import type { RateLimitSnapshot } from "./provider.js";

/**
 * A key lent for one request. The engine reads only what it needs to send the request and to name
 * the key in results and events; what the broker recorded about the lease stays the broker's.
 */
export interface KeyLease {
  /** The key to send with (never logged) and where to send it. */
  readonly credential: { readonly key: string | undefined; readonly baseUrl: string | undefined };
  /** The key's short fingerprint: how results, events and reports name it. */
  readonly fingerprint: string;
  /** The limit scope the request was charged to. */
  readonly scope: string;
  /** When the lease was granted (Clock time). */
  readonly startedAt: number;
}

/** How a request sent with a lease ended, as far as the key and its scope are concerned. */
export interface LeaseFailure {
  type: string;
  message: string;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
}

/**
 * Where the engine gets a key for each request (DESIGN §6). The in-process `KeyPool` implements it;
 * a broker shared between processes (scale-out) can replace it without the engine knowing.
 */
export interface KeyBroker {
  /**
   * Waits until a usable key of `provider` whose scope admits `charge` is free, and lends it.
   * `item` names the work the request is for (the same for each of its attempts), so a broker can
   * tell a key refusing one row from a key refusing everything; without it, each call is its own.
   * Rejects with the signal's reason when it aborts, and with a `StoppedEarlyError` when the provider
   * has no usable key left.
   */
  acquire(provider: string, charge: Charge, signal: AbortSignal, item?: string): Promise<KeyLease>;
  /** The request was answered; `settled` is its charge as the provider counted it. */
  succeeded(lease: KeyLease, settled: Charge, snapshot: RateLimitSnapshot | undefined): void;
  /** The request failed (a 429 cools the scope down; a bad key or exhausted quota may disable the key). */
  failed(lease: KeyLease, failure: LeaseFailure, snapshot?: RateLimitSnapshot): void;
  /** Stops any timers; no lease is granted afterwards. */
  close(): void;
}
