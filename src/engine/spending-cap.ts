import { StoppedEarlyError } from "../core/errors.js";
import { formatNumber } from "../core/format/number.js";
import { formatUsd } from "../core/format/usd.js";

/** What a request set aside against the cap before it was sent. */
export interface Reservation {
  usd: number;
}

/**
 * `--max-cost`: the run never crosses its cap. Each request reserves its worst-case cost before it
 * is sent; admission stops when the next reservation would cross the cap; the reservation is
 * replaced by the real cost once the answer reports its usage.
 */
export class SpendingCap {
  private spent: number;
  private reserved = 0;

  constructor(
    readonly capUsd: number,
    /** What the run spent before this process (a resumed run). */
    spentBefore: number,
    /** What requests sent before still hold, not yet answered (a run's open provider batches). */
    reservedBefore = 0,
  ) {
    this.spent = spentBefore;
    this.reserved = reservedBefore;
  }

  /** Reserves `usd`, or throws `StoppedEarlyError` when that would cross the cap. */
  reserve(usd: number): Reservation {
    if (this.spent + this.reserved + usd > this.capUsd) {
      throw new StoppedEarlyError(
        `spending cap reached: ${formatUsd(this.spent)} spent of --max-cost $${formatNumber(this.capUsd)}` +
          (this.reserved > 0 ? ` (${formatUsd(this.reserved)} more in flight)` : "") +
          "; rerun with a higher --max-cost to resume",
      );
    }
    this.reserved += usd;
    return { usd };
  }

  /** The request is over: its reservation gives way to what it really cost (0 if nothing was billed). */
  settle(reservation: Reservation, actualUsd: number): void {
    this.reserved -= reservation.usd;
    this.spent += actualUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }
}
