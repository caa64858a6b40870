/**
 * What a scope may spend over any window of `windowMs`: a per-minute limit paced as its share of a
 * short window, so a provider that enforces its limit over one-second windows never sees more than
 * it allows, and nothing close to a minute's budget goes out at once on a guess.
 */
export class WindowBudget {
  private readonly spent: { at: number; amount: number }[] = [];
  private head = 0;
  private used = 0;
  private capacity: number;

  constructor(
    perMinute: number,
    private readonly windowMs = 1_000,
    /** The share of the limit used, to stay clear of rounding and clock skew at the provider. */
    private readonly safety = 0.97,
  ) {
    this.capacity = this.capacityFor(perMinute);
  }

  private capacityFor(perMinute: number): number {
    return (perMinute * this.windowMs * this.safety) / 60_000;
  }

  setLimit(perMinute: number): void {
    this.capacity = this.capacityFor(perMinute);
  }

  /** Milliseconds until `amount` fits; 0 if it fits now. Anything fits in an empty window (no deadlock). */
  waitMs(amount: number, now: number): number {
    this.expire(now);
    if (this.used === 0 || this.used + amount <= this.capacity) return 0;
    let used = this.used;
    for (let i = this.head; i < this.spent.length; i++) {
      const entry = this.spent[i] as { at: number; amount: number };
      used -= entry.amount;
      if (used <= 0 || used + amount <= this.capacity) return Math.max(1, entry.at + this.windowMs - now);
    }
    return 1;
  }

  record(amount: number, now: number): void {
    if (amount <= 0) return;
    this.spent.push({ at: now, amount });
    this.used += amount;
  }

  /** Corrects an earlier charge (e.g. the reported prompt tokens differ from the estimate). */
  adjust(delta: number, now: number): void {
    if (delta > 0) this.record(delta, now);
    else if (delta < 0) this.used = Math.max(0, this.used + delta);
  }

  private expire(now: number): void {
    while (this.head < this.spent.length) {
      const entry = this.spent[this.head] as { at: number; amount: number };
      if (entry.at + this.windowMs > now) break;
      this.used = Math.max(0, this.used - entry.amount);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.spent.length) {
      this.spent.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.spent.length) this.used = 0;
  }
}
