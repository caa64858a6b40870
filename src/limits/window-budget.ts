/** The sliding window over which a limit the user gave is a ceiling. */
const MINUTE_MS = 60_000;

/** One charge in the window; kept so it can be corrected in place once the provider reports usage. */
export interface Spend {
  at: number;
  amount: number;
  paced: boolean;
}

/**
 * What a scope may spend of one limit, paced: never more than the limit's share of any
 * `windowMs` window (a provider may enforce a per-minute limit over one-second windows), and spread
 * evenly inside it (a GCRA schedule with a short tolerance), so admissions do not bunch up at window
 * boundaries and nothing close to a minute's budget goes out at once on a guess.
 *
 * An idle budget opens with one window's share at once (the provider's window is as empty as ours),
 * and the even schedule takes over from the end of that window.
 *
 * A limit the user gave is also a ceiling: whatever goes out, paced or as a burst the provider's
 * headers allowed, never more than it over any sliding minute.
 */
export class WindowBudget {
  private readonly spent: Spend[] = [];
  private head = 0;
  private used = 0;
  /** The user's per-minute limit, if any, and what the last minute holds against it. */
  private ceiling: number | undefined;
  private minuteHead = 0;
  private minuteUsed = 0;
  private capacity = 0;
  private perMs = 0;
  /** The GCRA's theoretical arrival time: when the schedule has caught up with what was admitted. */
  private due = Number.NEGATIVE_INFINITY;
  /** Until when the opening window lasts: only the window's share holds admissions back. */
  private openUntil = Number.NEGATIVE_INFINITY;

  constructor(
    perMinute: number,
    private readonly windowMs = 1_000,
    /**
     * The share of the limit the even schedule uses, to stay clear of timing jitter between here and
     * the provider: at 98% a server enforcing one-second windows refused no paced request in most
     * 35-second runs of `node bench/budgets.mjs strict`; at 98.5%, on a busier machine, about one in
     * 250, for no measurable gain in wall time.
     */
    private readonly safety = 0.98,
    /** How far ahead of the even schedule admissions may run. */
    private readonly toleranceMs = 20,
  ) {
    this.setLimit(perMinute);
  }

  setLimit(perMinute: number): void {
    // The window holds the limit's whole share: with the safety margin there too, a share of a few
    // requests (2 a second at 120 a minute) would round down to one less (1.94 lets only 1 through).
    // The even schedule runs at the safety margin below it, which keeps clear of the window's edge.
    this.capacity = (perMinute * this.windowMs) / 60_000;
    this.perMs = (this.capacity * this.safety) / this.windowMs;
  }

  /** Makes `perMinute` a ceiling over every sliding minute (a limit the user gave). */
  setCeiling(perMinute: number): void {
    if (this.ceiling === undefined) {
      this.minuteHead = this.head;
      this.minuteUsed = this.used;
    }
    this.ceiling = perMinute;
  }

  /**
   * Milliseconds until `amount` fits under the ceiling, 0 if it does now (or there is none): what
   * holds back a burst. Anything goes into an empty minute (no deadlock).
   */
  ceilingWaitMs(amount: number, now: number): number {
    if (this.ceiling === undefined) return 0;
    this.expire(now);
    const ceiling = this.ceiling;
    if (this.minuteUsed <= 0 || this.minuteUsed + amount <= ceiling) return 0;
    let used = this.minuteUsed;
    for (let i = this.minuteHead; i < this.spent.length; i++) {
      const entry = this.spent[i] as Spend;
      used -= entry.amount;
      if (used <= 0 || used + amount <= ceiling) return Math.ceil(Math.max(1, entry.at + MINUTE_MS - now));
    }
    return 1;
  }

  /**
   * Milliseconds until `amount` may go paced; 0 if it may go now. Anything goes into an empty window
   * (no deadlock).
   */
  waitMs(amount: number, now: number): number {
    const ceiling = this.ceilingWaitMs(amount, now);
    const paced = this.pacedWaitMs(amount, now);
    return Math.max(ceiling, paced);
  }

  private pacedWaitMs(amount: number, now: number): number {
    this.expire(now);
    const schedule = this.scheduleWait(now);
    if (this.fits(amount)) return Math.ceil(schedule);
    let used = this.used;
    for (let i = this.head; i < this.spent.length; i++) {
      const entry = this.spent[i] as Spend;
      used -= entry.amount;
      if (used <= 0 || used + amount <= this.capacity) {
        return Math.ceil(Math.max(1, entry.at + this.windowMs - now, schedule));
      }
    }
    return Math.ceil(Math.max(1, schedule));
  }

  /** What holds `amount` back now: nothing, the even schedule, or the window's share (unlike `waitMs`, never walks the window). */
  holdOn(amount: number, now: number): "nothing" | "schedule" | "share" {
    this.expire(now);
    if (!this.fits(amount)) return "share";
    return this.scheduleWait(now) > 0 ? "schedule" : "nothing";
  }

  /** Whether the budget is in its opening window, where only the window's share holds admissions back. */
  isOpening(now: number): boolean {
    return now < this.openUntil || this.idle(now);
  }

  /** Records an admission; `paced` ones move the even schedule on (bursts granted by the provider do not). */
  record(amount: number, now: number, paced = true): Spend {
    const spend = { at: now, amount, paced };
    if (amount <= 0) return spend;
    this.expire(now);
    if (this.idle(now)) this.openUntil = now + this.windowMs;
    this.spent.push(spend);
    this.used += amount;
    if (this.ceiling !== undefined) this.minuteUsed += amount;
    if (paced && this.perMs > 0) this.due = Math.max(this.due, now) + amount / this.perMs;
    return spend;
  }

  /**
   * Corrects an earlier charge where it stands (the provider counted the prompt differently from
   * the estimate); a charge already out of the window no longer matters.
   */
  adjust(spend: Spend, amount: number, now: number): void {
    this.expire(now);
    if (spend.amount <= 0) return;
    if (spend.paced && this.perMs > 0) this.due += (amount - spend.amount) / this.perMs;
    const inWindow = spend.at + this.windowMs > now;
    const inMinute = this.ceiling !== undefined && spend.at + MINUTE_MS > now;
    if (!inWindow && !inMinute) return;
    if (inWindow) this.used += amount - spend.amount;
    if (inMinute) this.minuteUsed += amount - spend.amount;
    spend.amount = amount;
  }

  private fits(amount: number): boolean {
    return this.used === 0 || this.used + amount <= this.capacity;
  }

  private scheduleWait(now: number): number {
    return this.isOpening(now) ? 0 : Math.max(0, this.due - this.toleranceMs - now);
  }

  /** Nothing in the window and the schedule caught up: the provider has seen nothing from us lately. */
  private idle(now: number): boolean {
    return this.used === 0 && this.due <= now;
  }

  private expire(now: number): void {
    while (this.head < this.spent.length) {
      const entry = this.spent[this.head] as Spend;
      if (entry.at + this.windowMs > now) break;
      this.used -= entry.amount;
      this.head++;
    }
    // Without a ceiling, nothing older than the window is kept.
    if (this.ceiling === undefined) this.minuteHead = this.head;
    while (this.minuteHead < this.spent.length) {
      const entry = this.spent[this.minuteHead] as Spend;
      if (entry.at + MINUTE_MS > now) break;
      this.minuteUsed -= entry.amount;
      this.minuteHead++;
    }
    const oldest = this.minuteHead;
    if (oldest > 1024 && oldest * 2 > this.spent.length) {
      this.spent.splice(0, oldest);
      this.head -= oldest;
      this.minuteHead = 0;
    }
    if (this.head === this.spent.length) this.used = 0;
    if (this.minuteHead === this.spent.length) this.minuteUsed = 0;
  }
}
