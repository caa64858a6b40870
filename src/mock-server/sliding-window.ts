const MINUTE_MS = 60_000;

/** Amounts spent over the last `windowMs`, against a capacity. */
export class SlidingWindow {
  private readonly spent: { at: number; amount: number }[] = [];

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
  ) {}

  /** A per-minute limit, enforced over the minute, or (strict) over one-second windows. */
  static forLimit(perMinute: number, strict: boolean): SlidingWindow {
    if (!strict) return new SlidingWindow(perMinute, MINUTE_MS);
    // A sixtieth of the limit each second; a limit under 60 a minute allows one every 60/limit seconds.
    const windowMs = Math.max(1000, MINUTE_MS / perMinute);
    return new SlidingWindow((perMinute * windowMs) / MINUTE_MS, windowMs);
  }

  used(now: number): number {
    while (this.spent.length > 0 && (this.spent[0]?.at ?? now) + this.windowMs <= now) this.spent.shift();
    return this.spent.reduce((sum, s) => sum + s.amount, 0);
  }

  /** Milliseconds until `amount` fits; 0 when it fits now. Anything fits in an empty window. */
  waitFor(amount: number, now: number): number {
    let used = this.used(now);
    if (used === 0 || used + amount <= this.capacity) return 0;
    for (const s of this.spent) {
      used -= s.amount;
      if (used === 0 || used + amount <= this.capacity) return s.at + this.windowMs - now;
    }
    return 0;
  }

  record(amount: number, now: number): void {
    if (amount > 0) this.spent.push({ at: now, amount });
  }

  /** Milliseconds until everything spent has left the window. */
  resetMs(now: number): number {
    this.used(now);
    const last = this.spent.at(-1);
    return last === undefined ? 0 : last.at + this.windowMs - now;
  }
}
