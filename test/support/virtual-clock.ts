import type { Clock } from "../../src/core/clock.js";

interface Sleeper {
  at: number;
  order: number;
  wake: () => void;
}

/** Lets every pending promise continuation and immediate run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Virtual time: nothing really sleeps. `sleep` puts the caller to sleep until the clock reaches its
 * wake-up time; `advance` and `runAll` move the clock, waking sleepers in order, each at its own time.
 */
export class VirtualClock implements Clock {
  time: number;
  readonly sleeps: number[] = [];
  private sleepers: Sleeper[] = [];
  private order = 0;

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return 0.5;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.sleeps.push(ms);
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: this.time + Math.max(0, ms),
        order: this.order++,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** How many callers are asleep. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves the clock on by `ms`, waking every sleeper due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.next();
      if (!next || next.at > target) break;
      this.wake(next);
    }
    this.time = target;
    await settle();
  }

  /** Wakes sleepers in order until none is left; fails after `maxWakes` (a loop that never ends). */
  async runAll(maxWakes = 100_000): Promise<void> {
    for (let wakes = 0; ; wakes++) {
      await settle();
      const next = this.next();
      if (!next) return;
      if (wakes >= maxWakes) throw new Error(`still sleeping after ${maxWakes} wake-ups`);
      this.wake(next);
    }
  }

  private next(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (!best || s.at < best.at || (s.at === best.at && s.order < best.order)) best = s;
    }
    return best;
  }

  private wake(sleeper: Sleeper): void {
    this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    this.time = Math.max(this.time, sleeper.at);
    sleeper.wake();
  }
}
