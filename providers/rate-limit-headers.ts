import type { RateLimitSnapshot } from "../src/core/provider.js";

/** Turns one header's value into a number (a count, or milliseconds until a reset). */
export type HeaderReader = (value: string, now: number) => number | undefined;

/** Which header fills which field of the snapshot, and how it is read. */
export type RateLimitHeaderTable = {
  [field in keyof RateLimitSnapshot]-?: readonly [header: string, read: HeaderReader];
};

export const count: HeaderReader = (value) => {
  const n = Number(value);
  return value.trim() !== "" && Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** A snapshot of the fields whose headers are present; undefined when the response had none. */
export function readRateLimitHeaders(
  headers: Headers,
  table: Partial<RateLimitHeaderTable>,
  now: number = Date.now(),
): RateLimitSnapshot | undefined {
  const snapshot: RateLimitSnapshot = {};
  let found = false;
  for (const [field, entry] of Object.entries(table) as [
    keyof RateLimitSnapshot,
    RateLimitHeaderTable[keyof RateLimitSnapshot],
  ][]) {
    const raw = headers.get(entry[0]);
    if (raw === null) continue;
    const value = entry[1](raw, now);
    if (value === undefined) continue;
    snapshot[field] = value;
    found = true;
  }
  return found ? snapshot : undefined;
}
