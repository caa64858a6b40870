/** Money: exact sums and how amounts read. */

/** Picodollars per dollar: sums are kept in whole picodollars, so adding many small costs is exact. */
const PICO = 1e12;

/** A running sum of USD amounts, exact to the picodollar (up to about $9,000; close beyond). */
export class UsdSum {
  private pico = 0;

  add(usd: number): void {
    this.pico += Math.round(usd * PICO);
  }

  get usd(): number {
    return this.pico / PICO;
  }
}

/**
 * `$1.92`, `$0.042`, `$0.00023`; an unknown amount is `unknown`, never `$0`. Small amounts keep
 * two significant digits so they never read as zero.
 */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "unknown";
  if (usd === 0) return "$0.00";
  if (usd >= 0.995) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(3)}`;
  if (usd < 1e-6) return "<$0.000001";
  return `$${Number(usd.toPrecision(2)).toFixed(Math.max(2, 1 - Math.floor(Math.log10(usd))))}`;
}
