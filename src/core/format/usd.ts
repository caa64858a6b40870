/**
 * An amount of money: `$1.92`, `$0.042`, `$0.00023`; an unknown amount is `unknown`, never `$0`
 * (DESIGN §7). Amounts under a cent keep two significant digits so they never read as zero.
 */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "unknown";
  if (usd === 0) return "$0.00";
  if (usd >= 0.995) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(3)}`;
  if (usd < 1e-6) return "<$0.000001";
  // The digits come from the rounded amount, so $0.00996 reads `$0.010`, not `$0.0100`.
  const rounded = Number(usd.toPrecision(2));
  return `$${rounded.toFixed(Math.max(2, 1 - Math.floor(Math.log10(rounded))))}`;
}
