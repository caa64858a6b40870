import type { EvalRow } from "./eval-row.js";

/**
 * pass@k: the chance that at least one of k samples drawn (without replacement) from n, of which c
 * passed, passes — the unbiased estimator 1 − C(n−c, k) / C(n, k) (Chen et al. 2021, "Evaluating
 * Large Language Models Trained on Code"). With k = n it is 1 when any sample passed.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(k >= 1 && k <= n)) throw new RangeError(`pass@k needs 1 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (n - c < k) return 1;
  // 1 − Π_{i=n−c+1}^{n} (1 − k/i), the product form of the ratio of binomials (no overflow).
  let failAll = 1;
  for (let i = n - c + 1; i <= n; i++) failAll *= 1 - k / i;
  return 1 - failAll;
}

/**
 * pass^k: the chance that all of k samples drawn from n, of which c passed, pass — C(c, k) / C(n, k)
 * (Yao et al. 2024, τ-bench): how reliably a test passes every time, not once. With k = n it is 1 only
 * when every sample passed.
 */
export function passHatK(n: number, c: number, k: number): number {
  if (!(k >= 1 && k <= n)) throw new RangeError(`pass^k needs 1 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (c < k) return 0;
  let all = 1;
  for (let i = 0; i < k; i++) all *= (c - i) / (n - i);
  return all;
}

/** The repeat statistics of one prompt × provider cell (or the whole eval), with `--repeat` above 1. */
export interface RepeatStats {
  /** The repeat count: each test's samples in the cell. */
  k: number;
  /** Tests with samples in the cell. */
  tests: number;
  /** The mean over tests of pass@k (at least one of k samples passes); null without tests. */
  pass_at_k: number | null;
  /** The mean over tests of pass^k (all k samples pass); null without tests. */
  pass_hat_k: number | null;
  /** Tests whose samples disagree (some passed, some did not). */
  flaky: number;
  /** The flaky tests, by description (or `test <index>` without one): the first 100. */
  flaky_tests: string[];
}

/** Flaky tests named per cell. */
const MAX_FLAKY_NAMED = 100;

/**
 * Counts one cell's samples test by test. The rows of one test × prompt × provider follow one
 * another (repeats are the innermost loop), so only the test in progress is held.
 */
export class RepeatTally {
  private tests = 0;
  private passAt = 0;
  private passHat = 0;
  private flaky = 0;
  private readonly flakyNames: string[] = [];
  private current: { test: number; name: string; n: number; c: number } | undefined;

  constructor(private readonly k: number) {}

  add(row: EvalRow): void {
    if (this.current?.test !== row.test) {
      this.close();
      this.current = { test: row.test, name: row.description ?? `test ${row.test}`, n: 0, c: 0 };
    }
    this.current.n += 1;
    if (row.status === "pass") this.current.c += 1;
  }

  stats(): RepeatStats {
    this.close();
    return {
      k: this.k,
      tests: this.tests,
      pass_at_k: this.tests === 0 ? null : this.passAt / this.tests,
      pass_hat_k: this.tests === 0 ? null : this.passHat / this.tests,
      flaky: this.flaky,
      flaky_tests: [...this.flakyNames],
    };
  }

  private close(): void {
    const done = this.current;
    if (!done) return;
    this.current = undefined;
    this.tests += 1;
    // A test with fewer samples than k (a filtered or stopped eval) is measured at its own n.
    const k = Math.min(this.k, done.n);
    this.passAt += passAtK(done.n, done.c, k);
    this.passHat += passHatK(done.n, done.c, k);
    if (done.c > 0 && done.c < done.n) {
      this.flaky += 1;
      if (this.flakyNames.length < MAX_FLAKY_NAMED) this.flakyNames.push(done.name);
    }
  }
}
