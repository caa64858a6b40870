import { createHash } from "node:crypto";

/**
 * How a request ended: an HTTP status, the name of a fault that left it without one, or `closed`
 * when the client went away first.
 */
export type Outcome = number | "reset" | "hang" | "stall" | "cut" | "stream_error" | "closed";

export interface KeyStats {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  status_counts: Record<string, number>;
}

/** What the server metered, as `GET /_metasync/stats` returns it. Keys are named by fingerprint. */
export interface MockStats {
  requests: number;
  status_counts: Record<string, number>;
  by_key: Record<string, KeyStats>;
}

/** The first 8 hex digits of the key's SHA-256; `none` for a request without a key. */
export function keyFingerprint(key: string | undefined): string {
  if (key === undefined) return "none";
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

export class StatsRecorder {
  private readonly stats: MockStats = { requests: 0, status_counts: {}, by_key: {} };

  record(fingerprint: string, outcome: Outcome, usage?: { input: number; output: number }): void {
    const byKey = this.stats.by_key[fingerprint] ?? {
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      status_counts: {},
    };
    this.stats.by_key[fingerprint] = byKey;
    const name = String(outcome);
    this.stats.requests += 1;
    this.stats.status_counts[name] = (this.stats.status_counts[name] ?? 0) + 1;
    byKey.requests += 1;
    byKey.status_counts[name] = (byKey.status_counts[name] ?? 0) + 1;
    if (usage) {
      byKey.input_tokens += usage.input;
      byKey.output_tokens += usage.output;
    }
  }

  /** A copy, safe to hand out. */
  snapshot(): MockStats {
    return structuredClone(this.stats);
  }
}
