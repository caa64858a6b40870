/** How fast a running run goes, measured from when its latest results were committed. */

/** The window the rate is measured over: long enough to take in cool-downs and budget waits. */
export const PACE_WINDOW_MS = 5 * 60_000;

export interface RunPace {
  /** Items finished a minute over the window; null until two results fell in it. */
  itemsPerMin: number | null;
  /** From the first result in the window to now. */
  windowMs: number;
  /** Results committed in the window. */
  results: number;
  /** When the latest result was committed; null when none was in the window. */
  lastAt: number | null;
  /** Time until the pending items are done at this rate; null when the rate is unknown. */
  etaMs: number | null;
}

/**
 * The pace of a run from the commit times of its latest results (`finishedAt`, newest first, all
 * within the window before `now`). The window runs until now, not until the latest result: a run
 * waiting out a cool-down or its budget slows down as the wait goes on, and what its budgets allow
 * shows in the results themselves, so the ETA counts both rather than a burst.
 */
export function measurePace(finishedAt: readonly number[], pending: number, now: number): RunPace {
  const lastAt = finishedAt[0] ?? null;
  const first = finishedAt.at(-1);
  const windowMs = first === undefined ? 0 : Math.max(0, now - first);
  const itemsPerMin =
    finishedAt.length >= 2 && windowMs > 0 ? ((finishedAt.length - 1) / windowMs) * 60_000 : null;
  const etaMs =
    pending === 0 ? 0 : itemsPerMin === null || itemsPerMin === 0 ? null : (pending / itemsPerMin) * 60_000;
  return { itemsPerMin, windowMs, results: finishedAt.length, lastAt, etaMs };
}
