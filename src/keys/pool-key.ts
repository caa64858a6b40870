import { createHash } from "node:crypto";
import type { KeyState } from "../core/events.js";
import type { Limiter } from "../core/limiter.js";

/** A short, stable name for a key: the first 8 hex digits of its SHA-256. The key itself is never shown. */
export function keyFingerprint(key: string | undefined): string {
  if (key === undefined || key === "") return "none";
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** How a key has been doing: what the dashboard and the report show. */
export interface KeyHealth {
  state: KeyState;
  /** Why the key was disabled. */
  reason?: string;
  inFlight: number;
  requests: number;
  successes: number;
  consecutiveFailures: number;
  /** Exponential moving average of successful requests' latency. */
  latencyEmaMs: number | undefined;
}

/** One API key of the pool, with its limit scope. */
export interface PoolKey {
  fingerprint: string;
  provider: string;
  /** The key itself; undefined for providers that need none (mock). Never logged. */
  value: string | undefined;
  baseUrl: string | undefined;
  weight: number;
  scope: Limiter;
  health: KeyHealth;
}

export function newHealth(): KeyHealth {
  return {
    state: "active",
    inFlight: 0,
    requests: 0,
    successes: 0,
    consecutiveFailures: 0,
    latencyEmaMs: undefined,
  };
}
