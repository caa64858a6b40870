/** How counts, rates and shares read, on stderr and in reports alike. Plain text, no escape codes. */

/** `4,210`; with a noun, `1 request`, `4,210 requests`. */
export function formatCount(n: number, noun?: string): string {
  const text = Math.round(n).toLocaleString("en-US");
  return noun === undefined ? text : `${text} ${noun}${n === 1 ? "" : "s"}`;
}

/** A rate that changes as you look at it: `812`, `4.2k`, `410k`, `1.3M`. */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1_000) return String(Math.round(n));
  if (abs < 10_000) return `${trim(n / 1_000)}k`;
  if (abs < 1_000_000) return `${Math.round(n / 1_000)}k`;
  if (abs < 10_000_000) return `${trim(n / 1_000_000)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** How much of a whole is done: `42%`, rounded down (so 100% means all of it) and kept within 0–100%. */
export function formatPercent(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/**
 * A share or a ratio: `3%`, `50%`, `130%` — rounded to the nearest percent and not capped, since a
 * scope may be used beyond its limit; `n/a` when it is not known.
 */
export function formatShare(fraction: number | null): string {
  return fraction === null ? "n/a" : `${Math.round(fraction * 100)}%`;
}

/**
 * A number as people write it, with separators and never in exponent notation: `1,234.5`,
 * `0.00000075` (what `String(7.5e-7)` writes as `7.5e-7`), to 15 significant digits.
 */
export function formatNumber(n: number): string {
  return n.toLocaleString("en-US", { maximumSignificantDigits: 15 });
}

/** A rate measured over a run: `1,004.7`, `12.3`, `0.42`, `0.0042` (one decimal, or two significant digits under 1). */
export function formatRate(n: number): string {
  return Math.abs(n) >= 1
    ? n.toLocaleString("en-US", { maximumFractionDigits: 1 })
    : n.toLocaleString("en-US", { maximumSignificantDigits: 2 });
}

/** One decimal, without a trailing `.0`. */
function trim(n: number): string {
  return n.toFixed(1).replace(/\.0$/, "");
}
