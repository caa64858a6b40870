/** Money: exact sums. (How an amount reads is `formatUsd` in core/format/usd.ts.) */

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
