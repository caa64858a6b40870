/** Time, sleep and randomness, injected so the engine can be tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  /**
   * Calls `fire` in `ms` unless the returned function cancels it first: what `sleep` does, without a
   * promise and an AbortController for a timer that is almost always cancelled (an attempt's
   * timeout). Optional: a clock without it gets `sleep`'s.
   */
  timer?(ms: number, fire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  timer: (ms, fire) => {
    const handle = setTimeout(fire, ms);
    return () => clearTimeout(handle);
  },
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Calls `tick` every `ms` on `clock` until the returned function is called. */
export function every(clock: Clock, ms: number, tick: () => void): () => void {
  const stop = new AbortController();
  const loop = async () => {
    for (;;) {
      await clock.sleep(ms, stop.signal);
      tick();
    }
  };
  loop().catch(() => {});
  return () => stop.abort();
}
