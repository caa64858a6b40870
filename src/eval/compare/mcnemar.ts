/**
 * The exact (binomial) McNemar test of paired pass/fail outcomes: of the pairs that changed, `b`
 * went from pass to not-pass and `c` the other way; under no change each is a fair coin, so the
 * two-sided p-value is 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), at most 1. Exact rather than
 * the chi-square approximation, which is poor for the handful of flips a small eval has.
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const low = Math.min(b, c);
  // P(X ≤ low) summed in log space: n may be large.
  let tail = 0;
  for (let i = 0; i <= low; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}
