import type { ItemError, ItemResult } from "./types.js";

/** Counts the reporters show; every field is a running total. */
export interface RunCounts {
  total: number;
  ok: number;
  failed: number;
  /** Items done before this process started (resumed runs). */
  previouslyDone: number;
  inFlight: number;
}

export type EndReason = "completed" | "interrupted" | "stopped";

export type KeyState = "active" | "cooling" | "disabled";

/** What the engine tells its reporters. The engine knows nothing about who listens. */
export type EngineEvent =
  | { type: "run"; runId: string; state: "new" | "resumed" | "finished"; cached: number; retried: number }
  | { type: "start"; total: number; pending: number; concurrency: number }
  | { type: "item_start"; id: string; index: number; attempt: number; model: string }
  | { type: "retry"; id: string; attempt: number; error: ItemError; delayMs: number }
  /** `scope`: the limit scope of the key that sent the item's last attempt. */
  | { type: "item_done"; id: string; index: number; result: ItemResult; scope?: string }
  | { type: "stopping"; reason: EndReason; message: string }
  /** Something the user should know that does not stop the run (e.g. a model without a price). */
  | { type: "warning"; message: string }
  /** A limit scope's budget became known or changed (flags, pool file or the provider's headers). */
  | { type: "scope_limits"; scope: string; rpm: number | null; tpm: number | null }
  /** A key's health changed. `key` is its fingerprint, never the key. */
  | {
      type: "key_state";
      key: string;
      provider: string;
      scope: string;
      state: KeyState;
      /** Epoch ms when a cooling key becomes usable again. */
      until?: number;
      reason?: string;
    }
  | { type: "rate_limited"; key: string; scope: string; retryAfterMs: number }
  | { type: "key_disabled"; key: string; provider: string; reason: string }
  | { type: "end"; reason: EndReason; counts: RunCounts; wallMs: number };

export type EventSink = (event: EngineEvent) => void;
