/**
 * How long an endpoint that has never answered may refuse connections (or fail to resolve) before
 * the run gives up on it, however many attempts an item has left: a server still starting is given
 * this long, a wrong `--base-url` costs no more.
 */
export const UNREACHABLE_GIVE_UP_MS = 10_000;

/**
 * Which endpoints (a provider at a base URL) have answered during the run, and since when one that
 * never has refuses connections. A connection refused by an endpoint that has answered before is
 * transient (a restart, a blip) and retried as any connection error; refused by one that never has,
 * it is most likely a wrong URL or a server that is not running, and waiting hours for it helps no
 * one: the run stops (exit 3, resumable) with what the error says.
 */
export class EndpointReach {
  private readonly answered = new Set<string>();
  /** When each endpoint that never answered first refused. */
  private readonly refusingSince = new Map<string, number>();
  /** Endpoints given up on: a refusal there ends the item's tries at once. */
  private readonly givenUp = new Set<string>();

  /** Whether anything at `endpoint` has answered (with a completion or an HTTP status). */
  hasAnswered(endpoint: string): boolean {
    return this.answered.has(endpoint);
  }

  /** Something at `endpoint` answered: from now on its refusals are transient. */
  reached(endpoint: string): void {
    this.answered.add(endpoint);
    this.refusingSince.delete(endpoint);
    this.givenUp.delete(endpoint);
  }

  /**
   * A connection to `endpoint`, which has never answered, was refused or its name did not resolve,
   * at `now`. Whether to give up on it: it has refused for `UNREACHABLE_GIVE_UP_MS`, or was given
   * up on already.
   */
  refused(endpoint: string, now: number): boolean {
    if (this.givenUp.has(endpoint)) return true;
    const since = this.refusingSince.get(endpoint);
    if (since === undefined) this.refusingSince.set(endpoint, now);
    else if (now - since >= UNREACHABLE_GIVE_UP_MS) this.givenUp.add(endpoint);
    return this.givenUp.has(endpoint);
  }

  /** Gives up on `endpoint` (an item used every attempt it had on it). */
  giveUp(endpoint: string): void {
    this.givenUp.add(endpoint);
  }
}
