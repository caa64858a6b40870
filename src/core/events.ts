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
  /** An attempt failed (whatever follows: a retry, another key after a 429, a fallback, the item's failure). */
  | {
      type: "attempt_failed";
      id: string;
      attempt: number;
      model: string;
      error: ItemError;
      latencyMs: number;
    }
  /** `scope`: the limit scope of the key that sent the item's last attempt. */
  | { type: "item_done"; id: string; index: number; result: ItemResult; scope?: string }
  | { type: "stopping"; reason: EndReason; message: string }
  /** Something the user should know that does not stop the run (e.g. a model without a price). */
  | { type: "warning"; message: string }
  /** Something worth a line that is not a problem (provider batch mode: a batch submitted, collected). */
  | { type: "notice"; message: string }
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

/** Where the engine sends its events. */
export type EventSink = (event: EngineEvent) => void;

/**
 * Every type of the engine's events, checked against `EngineEvent` by the compiler (a type added
 * there and not here, or the other way round, does not compile).
 */
const ENGINE_EVENT_TYPES: Readonly<Record<EngineEvent["type"], true>> = {
  run: true,
  start: true,
  item_start: true,
  retry: true,
  attempt_failed: true,
  item_done: true,
  stopping: true,
  warning: true,
  notice: true,
  scope_limits: true,
  key_state: true,
  rate_limited: true,
  key_disabled: true,
  end: true,
};

/**
 * An event a command adds beside the engine's (eval's scores, batch mode's polls). Its `type` names
 * the command (`eval_score`, never one of the engine's); its fields are snake_case, since
 * `--progress json` prints it as it is. Reporters that do not know its type ignore it.
 */
export interface CommandEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** What reporters take: the engine's events and any command's own. */
export type ReporterEvent = EngineEvent | CommandEvent;

/** A sink for the engine's events and a command's; one can be passed wherever an `EventSink` is. */
export type ReporterSink = (event: ReporterEvent) => void;

/** Whether `event` is one of the engine's, so a reporter can switch over `EngineEvent` exhaustively. */
export function isEngineEvent(event: ReporterEvent): event is EngineEvent {
  return Object.hasOwn(ENGINE_EVENT_TYPES, event.type);
}
