import { UsageError } from "../../core/errors.js";
import type { RunRecord } from "../../store/run-record.js";
import type { StateStore } from "../../store/state-store.js";
import { mcnemarExactP } from "./mcnemar.js";

/** One row whose verdict changed between the two evals. */
export interface Flip {
  /** The test's description, or `test <index>` without one (as the later eval numbers it). */
  test: string;
  prompt: string;
  provider: string;
  repeat: number;
  from: string;
  to: string;
}

/** One prompt × provider cell of the later eval, against the same rows of the earlier one. */
export interface CellComparison {
  prompt: string;
  provider: string;
  /** Rows found in both evals. */
  paired: number;
  pass_rate_before: number | null;
  pass_rate_after: number | null;
  /** after − before, over the paired rows; null without any. */
  change: number | null;
  /** Paired rows that passed before and do not now (McNemar's b), and the other way (c). */
  regressions: number;
  improvements: number;
  /** The exact McNemar test's two-sided p-value. */
  p_value: number;
  /** The pass rate fell and p < 0.05. */
  significant_regression: boolean;
}

export interface EvalComparison {
  before: string;
  after: string;
  cells: CellComparison[];
  flips: Flip[];
  /** Rows of one eval with no row of the same key in the other. */
  only_before: number;
  only_after: number;
  /** Some cell's pass rate fell significantly. */
  regressed: boolean;
}

/** The significance level of `--fail-on-regression`. */
export const ALPHA = 0.05;

interface Seen {
  pass: boolean;
  status: string;
}

/**
 * `eval compare`: the rows of two stored evals paired by their key (the test's vars and
 * assertions, the prompt's label or id, the provider and the repeat — design/eval.md), per
 * prompt × provider the change in pass rate with an exact McNemar test, and every flipped row.
 * The earlier eval's verdicts are held by key (a status each); the later one is streamed.
 */
export function compareEvals(store: StateStore, beforeRef: string, afterRef: string): EvalComparison {
  const before = evalRun(store, beforeRef);
  const after = evalRun(store, afterRef);
  const earlier = new Map<string, Seen>();
  for (const row of store.evalRows(before.id))
    earlier.set(row.key, { pass: row.status === "pass", status: row.status });
  const cells = new Map<
    string,
    { prompt: string; provider: string; n: number; a: number; b: number; up: number; down: number }
  >();
  const flips: Flip[] = [];
  let onlyAfter = 0;
  const matched = new Set<string>();
  for (const stored of store.evalRows(after.id)) {
    const was = earlier.get(stored.key);
    if (!was) {
      onlyAfter++;
      continue;
    }
    matched.add(stored.key);
    const row = JSON.parse(stored.row) as {
      test: number;
      description: string | null;
      prompt: string;
      provider: string;
      repeat: number;
    };
    const cellKey = JSON.stringify([row.prompt, row.provider]);
    let cell = cells.get(cellKey);
    if (!cell) {
      cell = { prompt: row.prompt, provider: row.provider, n: 0, a: 0, b: 0, up: 0, down: 0 };
      cells.set(cellKey, cell);
    }
    const now = stored.status === "pass";
    cell.n++;
    if (was.pass) cell.a++;
    if (now) cell.b++;
    if (was.pass && !now) cell.down++;
    if (!was.pass && now) cell.up++;
    if (was.status !== stored.status) {
      flips.push({
        test: row.description ?? `test ${row.test}`,
        prompt: row.prompt,
        provider: row.provider,
        repeat: row.repeat,
        from: was.status,
        to: stored.status,
      });
    }
  }
  const compared = [...cells.values()].map((cell): CellComparison => {
    const p = mcnemarExactP(cell.down, cell.up);
    const rateBefore = cell.n === 0 ? null : cell.a / cell.n;
    const rateAfter = cell.n === 0 ? null : cell.b / cell.n;
    return {
      prompt: cell.prompt,
      provider: cell.provider,
      paired: cell.n,
      pass_rate_before: rateBefore,
      pass_rate_after: rateAfter,
      change: rateBefore === null || rateAfter === null ? null : rateAfter - rateBefore,
      regressions: cell.down,
      improvements: cell.up,
      p_value: p,
      significant_regression: cell.down > cell.up && p < ALPHA,
    };
  });
  return {
    before: before.id,
    after: after.id,
    cells: compared,
    flips,
    only_before: earlier.size - matched.size,
    only_after: onlyAfter,
    regressed: compared.some((cell) => cell.significant_regression),
  };
}

function evalRun(store: StateStore, ref: string): RunRecord {
  const run = store.findRun(ref);
  if (!run) throw new UsageError(`eval compare: no eval "${ref}" in the state database (see metasync runs)`);
  if (run.options.kind !== "eval") throw new UsageError(`eval compare: ${run.id} is a run, not an eval`);
  return run;
}
