/**
 * The signal for one attempt: aborted when the run stops or the attempt times out. Unlike
 * `AbortSignal.any` + `AbortSignal.timeout`, it holds no timer or listener once disposed, so a run of
 * a million items does not keep a million timers alive.
 */
export function attemptSignal(
  stop: AbortSignal,
  timeoutMs: number | undefined,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
          timeoutMs,
        );
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    },
  };
}
