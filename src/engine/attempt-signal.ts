import type { Clock } from "../core/clock.js";

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
  const timer = timeoutMs === undefined ? undefined : new AbortController();
  if (timer && timeoutMs !== undefined) {
    clock.sleep(timeoutMs, timer.signal).then(
      () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
      () => {},
    );
  }
  return {
    signal: controller.signal,
    dispose() {
      timer?.abort();
      stop.removeEventListener("abort", onStop);
    },
  };
}
