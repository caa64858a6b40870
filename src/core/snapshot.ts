/** A key's health as the pool saw it, named by fingerprint (never the key). */
export interface KeyReport {
  provider: string;
  scope: string;
  state: "active" | "cooling" | "disabled";
  /** Why a disabled key was taken out of the run. */
  reason: string | null;
  requests: number;
  successes: number;
  success_rate: number | null;
  consecutive_failures: number;
  latency_ema_ms: number | null;
}

/** A limit scope's limits and what this process sent through it. */
export interface ScopeBudget {
  scope: string;
  rpm: number | null;
  tpm: number | null;
  requests: number;
  tokens: number;
}

/** What a sending session has done so far: for reports and dashboards. */
export interface SessionSnapshot {
  keys: Record<string, KeyReport>;
  scopes: ScopeBudget[];
  /** Spent by this session (and, with a cap, before it); null where no answer had a price. */
  spentUsd: number | null;
}
