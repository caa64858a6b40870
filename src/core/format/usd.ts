/**
 * An amount of money as people write it: `$1,234.50`, `$1.92`, `$0.042`, `$0.00023`,
 * `$0.00000075` (never `7.5e-7`); an unknown amount is `unknown`, never `$0` (DESIGN §7). Amounts
 * under a cent keep two significant digits so they never read as zero, down to a picodollar (what
 * the run's sums resolve).
 */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "unknown";
  if (usd === 0) return "$0.00";
  if (usd >= 0.995) {
    return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  if (usd >= 0.01) return `$${usd.toFixed(3)}`;
  if (usd < 5e-13) return "<$0.000000000001";
  // The digits come from the rounded amount, so $0.00996 reads `$0.010`, not `$0.0100`.
  const rounded = Number(usd.toPrecision(2));
  return `$${rounded.toFixed(Math.max(2, 1 - Math.floor(Math.log10(rounded))))}`;
}
