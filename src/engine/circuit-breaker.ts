import type { ItemError } from "../core/types.js";
import { EndpointReach } from "./endpoint-reach.js";

/** How long the probe is kept for the waiting item that failed most, should it not come. */
const PROBE_CLAIM_MS = 1_000;

/**
 * A circuit breaker for one provider+model: after `threshold` transient failures in a row it opens
 * (nothing is sent for a while, so a dead model is not hammered), then lets one probe through
 * (half-open); the probe's success closes it, its failure opens it again for twice as long.
 *
 * The probe is the waiting item that failed most on the model: if the model works, the one most
 * likely due to be answered; if it does not, the one whose failure ends it soonest.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private opens = 0;
  private probing = false;
  /** The most failures on the model of an item that asked while it was open: who probes first. */
  private claim = 0;
  /** The failure that last opened it. */
  lastError: ItemError | undefined;

  constructor(
    private readonly threshold = 5,
    private readonly baseOpenMs = 5_000,
    private readonly maxOpenMs = 120_000,
  ) {}

  get isOpen(): boolean {
    return this.openUntil > 0;
  }

  /** How many times it has opened since the model last answered (each failed probe opens it again). */
  get trips(): number {
    return this.opens;
  }

  /**
   * May a request go now, for an item that has failed `failures` times on the model? When the
   * breaker is open: how long until the probe may go.
   */
  admit(
    now: number,
    failures = 0,
  ): { ok: true; probe: boolean } | { ok: false; waitMs: number; probing: boolean } {
    if (this.openUntil === 0) return { ok: true, probe: false };
    if (now < this.openUntil) {
      this.claim = Math.max(this.claim, failures);
      return { ok: false, waitMs: this.openUntil - now, probing: false };
    }
    if (this.probing) return { ok: false, waitMs: 250, probing: true };
    if (failures < this.claim && now < this.openUntil + PROBE_CLAIM_MS) {
      return { ok: false, waitMs: 50, probing: true };
    }
    this.claim = 0;
    this.probing = true;
    return { ok: true, probe: true };
  }

  succeeded(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.opens = 0;
    this.probing = false;
  }

  /** A transient failure (server, overloaded, timeout, connection). */
  failed(now: number, error?: ItemError): void {
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    // Requests already in flight when it opened fail too: only a probe's failure opens it for longer.
    if (wasProbe || (this.openUntil === 0 && this.failures >= this.threshold)) {
      this.opens++;
      this.lastError = error;
      this.openUntil = now + Math.min(this.maxOpenMs, this.baseOpenMs * 2 ** (this.opens - 1));
    }
  }

  /** A request that did not test the model's health (cancelled, or refused for the key). */
  released(): void {
    this.probing = false;
  }
}

/** One breaker per `provider:model`, and which endpoints have answered (see EndpointReach). */
export class BreakerBoard {
  private readonly breakers = new Map<string, CircuitBreaker>();
  readonly endpoints = new EndpointReach();
  constructor(private readonly make: () => CircuitBreaker = () => new CircuitBreaker()) {}

  for(model: string): CircuitBreaker {
    let breaker = this.breakers.get(model);
    if (!breaker) {
      breaker = this.make();
      this.breakers.set(model, breaker);
    }
    return breaker;
  }
}
