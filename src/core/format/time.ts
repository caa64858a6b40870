/** How durations, latencies and times of day read. */

/**
 * `coarse`, for what is counted down or guessed (an ETA, a cooldown, an estimate): `45s`, `7m 30s`,
 * then whole minutes from ten minutes on, `42m`, `1h 5m`.
 * `fine`, for a wall time that was measured: `3.2 s`, `4m 05s`, `1h 02m`.
 */
export type DurationPrecision = "coarse" | "fine";

export function formatDuration(ms: number, precision: DurationPrecision = "coarse"): string {
  return precision === "fine" ? fine(Math.max(0, ms)) : coarse(Math.max(0, ms));
}

/** A latency: `812 ms`, `2.1 s`; `n/a` when nothing was measured. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return "n/a";
  return Math.round(ms) < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** A moment as ISO 8601 in UTC, to the second: `2026-11-29T21:06:12Z`, for log lines. */
export function formatDateTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The local time of day: `12:03:07`. */
export function formatClockTime(epochMs: number): string {
  const date = new Date(epochMs);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map(twoDigits).join(":");
}

function coarse(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m ${seconds % 60}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}

function fine(ms: number): string {
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${twoDigits(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${twoDigits(Math.floor((seconds % 3600) / 60))}m`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}
