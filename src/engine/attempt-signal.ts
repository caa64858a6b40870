import type { Clock } from "../core/clock.js";

/** Why a finished attempt's timer is cancelled: a constant, since `abort()` without one builds a DOMException each time. */
const DISPOSED = Symbol("attempt over");

/** `fire` in `ms` on the clock; returns how to cancel it. */
function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock.timer) return clock.timer(ms, fire);
  const cancel = new AbortController();
  clock.sleep(ms, cancel.signal).then(fire, () => {});
  return () => cancel.abort(DISPOSED);
}

/**
 * The signal for one attempt: aborted when the run stops or the attempt times out (on the injected
 * clock). Unlike `AbortSignal.any` + `AbortSignal.timeout`, it holds no timer or listener once
 * disposed, so a run of a million items does not keep a million timers alive.
 */
export function attemptSignal(
  stop: AbortSignal,
  timeoutMs: number | undefined,
  clock: Clock,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  const timedOut = () =>
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError"));
  const cancelTimer = timeoutMs === undefined ? undefined : startTimer(clock, timeoutMs, timedOut);
  return {
    signal: controller.signal,
    dispose() {
      cancelTimer?.();
      stop.removeEventListener("abort", onStop);
    },
  };
}
