import type { Every } from "../../src/ui/reporter.js";

/** An `Every` whose ticks happen when the test says so, and a clock the test moves. */
export function fakeTimer(start: number) {
  let time = start;
  const ticks = new Set<() => void>();
  const every: Every = (_ms, tick) => {
    ticks.add(tick);
    return () => ticks.delete(tick);
  };
  return {
    every,
    now: () => time,
    /** Moves the clock by `ms` and runs every registered tick once. */
    advance(ms: number) {
      time += ms;
      for (const tick of [...ticks]) tick();
    },
    set(at: number) {
      time = at;
    },
    get active() {
      return ticks.size;
    },
  };
}

/** Collects what a reporter writes. */
export function sinkText() {
  const chunks: string[] = [];
  return { write: (text: string) => void chunks.push(text), text: () => chunks.join(""), chunks };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes is the point
export const ESCAPE = /\u001b/;
