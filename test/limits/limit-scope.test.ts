import { describe, expect, it } from "vitest";
import { admissionCharge, type Charge, settledCharge } from "../../src/core/charge.js";
import type { RateLimitSnapshot } from "../../src/core/provider.js";
import { type Admission, LimitScope } from "../../src/limits/limit-scope.js";

const request = (tokens = 10): Charge => ({ requests: 1, tokens, inputTokens: tokens, outputTokens: 0 });

/** Admits `charge` as soon as the scope allows, in virtual time starting at `now`; returns when. */
function admitWhenAllowed(
  scope: LimitScope,
  charge: Charge,
  now: number,
): { at: number; admission: Admission } {
  let at = now;
  for (let tries = 0; ; tries++) {
    if (tries > 1_000) throw new Error("never admitted");
    const wait = scope.waitMs(charge, at);
    if (wait === 0) return { at, admission: scope.admit(charge, at) };
    at += wait;
  }
}

/** How many requests the scope admits at once, at `now`, before it asks to wait. */
function admitAllNow(scope: LimitScope, now: number, max = 1_000): Admission[] {
  const admitted: Admission[] = [];
  while (admitted.length < max && scope.waitMs(request(), now) === 0) {
    admitted.push(scope.admit(request(), now));
  }
  return admitted;
}

describe("charges", () => {
  it("charges OpenAI-style tokens at admission as the prompt plus max_tokens", () => {
    expect(admissionCharge(120, 500)).toEqual({
      requests: 1,
      tokens: 620,
      inputTokens: 120,
      outputTokens: 500,
    });
    expect(admissionCharge(120, undefined)).toEqual({
      requests: 1,
      tokens: 120,
      inputTokens: 120,
      outputTokens: 0,
    });
  });

  it("settles with the usage the provider reported", () => {
    expect(settledCharge({ input_tokens: 100, output_tokens: 30 }, 500)).toEqual({
      requests: 1,
      tokens: 600,
      inputTokens: 100,
      outputTokens: 30,
    });
    expect(settledCharge({ input_tokens: 100, output_tokens: 30 }, undefined).tokens).toBe(130);
  });
});

describe("LimitScope", () => {
  it("never waits when it has no limits", () => {
    const scope = new LimitScope("openai:self-hosted");
    expect(scope.limits()).toEqual({});
    const big = { requests: 1, tokens: 1_000_000, inputTokens: 1_000_000, outputTokens: 0 };
    for (let i = 0; i < 1_000; i++) {
      expect(scope.waitMs(big, 0)).toBe(0);
      scope.admit(big, 0);
    }
  });

  it("paces requests under a configured limit", () => {
    const scope = new LimitScope("s", { requests: 60 });
    let now = 0;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { at } = admitWhenAllowed(scope, request(), now);
      times.push(at);
      now = at;
    }
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_000);
  });

  it("paces on every limited dimension: tokens as well as requests", () => {
    const scope = new LimitScope("s", { requests: 6_000, tokens: 6_000 }); // 100 tokens a second
    const first = admitWhenAllowed(scope, request(80), 0);
    expect(first.at).toBe(0);
    expect(scope.waitMs(request(80), 0)).toBeGreaterThanOrEqual(900);
  });

  it("admits a request bigger than a whole second's tokens alone, once nothing else is in the window", () => {
    const scope = new LimitScope("s", { tokens: 6_000 }); // 100 tokens a second
    const small = admitWhenAllowed(scope, request(50), 0);
    expect(small.at).toBe(0);
    const big = admitWhenAllowed(scope, request(2_000), 0);
    expect(big.at).toBeGreaterThan(0);
    expect(big.at).toBeLessThanOrEqual(1_000);
    expect(scope.waitMs(request(1), big.at)).toBeGreaterThan(0);
  });

  it("admits a request bigger than a whole minute's tokens alone in its minute: the limit given is a ceiling", () => {
    const scope = new LimitScope("s", { tokens: 600 });
    const small = admitWhenAllowed(scope, request(5), 0);
    const big = admitWhenAllowed(scope, request(5_000), small.at);
    expect(big.at).toBe(60_000);
    expect(scope.waitMs(request(1), big.at + 1_000)).toBeGreaterThanOrEqual(59_000);
  });

  it("takes the lower of the configured limit and the one learned from headers", () => {
    const scope = new LimitScope("s", { requests: 600, tokens: 100_000 });
    const { admission } = admitWhenAllowed(scope, request(), 0);
    scope.succeeded(admission, request(), { limitRequests: 300, limitTokens: 1_000_000 }, 10);
    expect(scope.limits()).toEqual({ requests: 300, tokens: 100_000 });

    const learnedOnly = new LimitScope("t");
    const second = admitWhenAllowed(learnedOnly, request(), 0);
    learnedOnly.succeeded(second.admission, request(), { limitRequests: 60, limitTokens: 40_000 }, 10);
    expect(learnedOnly.limits()).toEqual({ requests: 60, tokens: 40_000 });
    // …and the learned limit paces from then on.
    admitWhenAllowed(learnedOnly, request(), 10);
    expect(learnedOnly.waitMs(request(), 10)).toBeGreaterThan(500);
  });

  it("reconciles a charge with the usage the response settled", () => {
    const scope = new LimitScope("s", { tokens: 6_000 }); // 100 tokens a second
    const { admission } = admitWhenAllowed(scope, request(90), 0);
    expect(scope.waitMs(request(50), 1)).toBeGreaterThanOrEqual(900);
    scope.succeeded(admission, request(20), undefined, 1);
    expect(scope.waitMs(request(50), 1)).toBeLessThan(300);
    expect(scope.sent).toEqual({ requests: 1, tokens: 20 });
  });

  it("cools down for the retry-after a 429 names, then admits again", () => {
    const scope = new LimitScope("s");
    const { admission } = admitWhenAllowed(scope, request(), 0);
    scope.rateLimited(admission, 2_500, undefined, 100);
    expect(scope.isCooling).toBe(true);
    expect(scope.cooldownEnd(100)).toBe(2_600);
    expect(scope.waitMs(request(), 100)).toBe(2_500);
    expect(scope.waitMs(request(), 2_599)).toBe(1);
    expect(scope.waitMs(request(), 2_600)).toBe(0);
    expect(scope.isCooling).toBe(false);
  });

  it("learns the provider's limits from the headers of a 429", () => {
    const scope = new LimitScope("s");
    const { admission } = admitWhenAllowed(scope, request(), 0);
    scope.rateLimited(admission, 1_000, { limitRequests: 120, remainingRequests: 0 }, 0);
    expect(scope.limits()).toEqual({ requests: 120 });
  });

  describe("bursts into what the headers say remains", () => {
    const plenty = (remaining: number): RateLimitSnapshot => ({
      limitRequests: 60,
      remainingRequests: remaining,
    });

    /** When bursts are tried: at once, since a window's share (one request) is in the window. */
    const T = 20;

    /** A scope of 60 rpm (one a second) that has sent its second's share and heard plenty remains. */
    function learnedScope() {
      const scope = new LimitScope("s", { requests: 60 });
      const first = admitWhenAllowed(scope, request(), 0);
      expect(first.at).toBe(0);
      scope.succeeded(first.admission, request(), plenty(59), 10);
      return scope;
    }

    it("bursts only past a whole window's share: short of it, requests go paced", () => {
      const scope = new LimitScope("s", { requests: 600 }); // 10 a second
      const { admission } = admitWhenAllowed(scope, request(), 0);
      scope.succeeded(admission, request(), { limitRequests: 600, remainingRequests: 599 }, 10);
      const now = admitAllNow(scope, 10);
      // The rest of the opening second's share goes paced (a provider's short window allows it, so
      // a burst there would prove nothing); only past it does the first generation (one) burst.
      expect(now.map((a) => a.burst)).toEqual([...Array(9).fill(false), true]);
    });

    it("bursts at high limits too, where pacing never fills the window, once the opening is over", () => {
      const scope = new LimitScope("s", { requests: 10_000 }); // ~167 a second
      // Answers take longer than the opening window: pacing runs on with nothing learned.
      const sent: Admission[] = [];
      let now = 0;
      while (now < 1_500) {
        const next = admitWhenAllowed(scope, request(), now);
        sent.push(next.admission);
        now = next.at;
      }
      expect(sent.every((a) => !a.burst)).toBe(true);
      scope.succeeded(
        sent[0] as Admission,
        request(),
        { limitRequests: 10_000, remainingRequests: 9_000 },
        now,
      );
      // The window is short of its share (pacing runs at 98%), yet the schedule-held request bursts.
      const burst = admitAllNow(scope, now);
      expect(burst.map((a) => a.burst)).toEqual([true]);
    });

    it("without headers, it only paces", () => {
      const scope = new LimitScope("s", { requests: 60 });
      const { admission } = admitWhenAllowed(scope, request(), 0);
      scope.succeeded(admission, request(), undefined, 10);
      expect(admitAllNow(scope, 10)).toHaveLength(0);
    });

    it("grows the burst by generations while the provider answers them", () => {
      const scope = learnedScope();
      const sizes: number[] = [];
      let remaining = 57;
      let now = T;
      for (let generation = 0; generation < 3; generation++) {
        const burst = admitAllNow(scope, now);
        expect(burst.every((a) => a.burst)).toBe(true);
        sizes.push(burst.length);
        now += 5;
        for (const admission of burst) scope.succeeded(admission, request(), plenty(remaining--), now);
      }
      expect(sizes).toEqual([1, 4, 16]);
    });

    it("never bursts past what the headers say remains", () => {
      const scope = learnedScope();
      // Grow the burst first: 1, then 4 answered with plenty remaining.
      for (const size of [1, 4]) {
        const burst = admitAllNow(scope, T);
        expect(burst).toHaveLength(size);
        for (const admission of burst) scope.succeeded(admission, request(), plenty(50), T);
      }
      const last = admitAllNow(scope, T);
      scope.succeeded(last[0] as Admission, request(), { limitRequests: 60, remainingRequests: 3 }, T);
      // The generation of 16 is cut to what 95% of 3 remaining leaves, less what is in flight.
      expect(admitAllNow(scope, T).length + last.length - 1).toBeLessThanOrEqual(16);
      const fresh = learnedScope();
      const one = admitAllNow(fresh, T);
      fresh.succeeded(one[0] as Admission, request(), { limitRequests: 60, remainingRequests: 2 }, T);
      // 95% of 2 remaining leaves room for one request, not two.
      expect(admitAllNow(fresh, T)).toHaveLength(1);
    });

    it("stops bursting for good once a burst is answered 429", () => {
      const scope = learnedScope();
      const burst = admitAllNow(scope, T);
      expect(burst.length).toBeGreaterThan(0);
      const [first, ...rest] = burst;
      scope.rateLimited(first as Admission, 1_000, undefined, T + 10);
      for (const admission of rest) scope.succeeded(admission, request(), plenty(50), T + 10);
      // Only pacing from now on, however much the headers say remains.
      let now = T + 10;
      for (let i = 0; i < 5; i++) {
        const next = admitWhenAllowed(scope, request(), now);
        expect(next.admission.burst).toBe(false);
        scope.succeeded(next.admission, request(), plenty(50), next.at + 5);
        expect(admitAllNow(scope, next.at + 5)).toHaveLength(0);
        now = next.at + 5;
      }
    });

    it("keeps bursting after a paced request's 429 (the scope only cools down)", () => {
      const scope = new LimitScope("s");
      const { admission } = admitWhenAllowed(scope, request(), 0);
      scope.rateLimited(admission, 500, undefined, 10);
      const next = admitWhenAllowed(scope, request(), 10);
      expect(next.at).toBe(510);
      scope.succeeded(next.admission, request(), plenty(50), 520);
      expect(admitAllNow(scope, 520).length).toBeGreaterThan(0);
    });

    it("never bursts past a lower configured limit (the lower limit wins)", () => {
      // The user allows 60 a minute; the provider would allow 10,000.
      const scope = new LimitScope("s", { requests: 60 });
      let now = 0;
      let remaining = 10_000;
      let admitted = 0;
      while (now < 10_000) {
        const next = admitWhenAllowed(scope, request(), now);
        if (next.at >= 10_000) break;
        admitted++;
        now = next.at;
        const burst = admitAllNow(scope, now);
        admitted += burst.length;
        remaining -= burst.length + 1;
        scope.succeeded(
          next.admission,
          request(),
          { limitRequests: 10_000, remainingRequests: remaining },
          now,
        );
        for (const a of burst)
          scope.succeeded(a, request(), { limitRequests: 10_000, remainingRequests: remaining }, now);
      }
      // At most the configured minute's worth as a burst, then one a second, paced.
      expect(admitted).toBeLessThanOrEqual(60 + 10 + 1);
      expect(admitted).toBeGreaterThan(10); // it did burst: the provider said it could
    });
  });
});

/**
 * A scope sending to a provider that meters a sliding minute and says in its headers how much of it
 * remains; answers take `latencyMs`, at most `concurrency` are in flight. Returns when each request
 * was admitted, in virtual time.
 */
function sendFor(
  scope: LimitScope,
  durationMs: number,
  provider: { limitRequests: number },
  concurrency = 64,
  latencyMs = 40,
): number[] {
  const admitted: number[] = [];
  const inFlight: { at: number; admission: Admission; snapshot: RateLimitSnapshot }[] = [];
  const remaining = (now: number) =>
    provider.limitRequests - admitted.filter((at) => at > now - 60_000 && at <= now).length;
  let now = 0;
  while (now < durationMs) {
    inFlight.sort((a, b) => a.at - b.at);
    while (inFlight.length > 0 && (inFlight[0]?.at ?? now) <= now) {
      const done = inFlight.shift();
      if (done) scope.succeeded(done.admission, request(), done.snapshot, now);
    }
    let wait = Number.POSITIVE_INFINITY;
    while (inFlight.length < concurrency) {
      wait = scope.waitMs(request(), now);
      if (wait > 0) break;
      const admission = scope.admit(request(), now);
      admitted.push(now);
      // The provider's headers as it answers: what remains once this one is counted.
      const snapshot = { limitRequests: provider.limitRequests, remainingRequests: remaining(now) };
      inFlight.push({ at: now + latencyMs, admission, snapshot });
    }
    const nextAnswer = inFlight[0]?.at ?? Number.POSITIVE_INFINITY;
    now = Math.min(nextAnswer, now + Math.max(1, wait));
  }
  return admitted;
}

/** The most requests admitted in any sliding minute ((t - 60 s, t]). */
function busiestMinute(times: readonly number[]): number {
  let most = 0;
  let start = 0;
  for (const [end, at] of times.entries()) {
    while ((times[start] ?? at) <= at - 60_000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe("a limit the user gives is a ceiling", () => {
  it("--rpm 600 against a provider whose headers allow 6,000: never more than 600 in any minute", () => {
    const scope = new LimitScope("s", { requests: 600 });
    const admitted = sendFor(scope, 180_000, { limitRequests: 6_000 });
    expect(busiestMinute(admitted)).toBeLessThanOrEqual(600);
    // The first minute's 600 went out as a burst the headers allowed, then it held.
    expect(admitted.filter((at) => at < 60_000)).toHaveLength(600);
    expect(admitted.filter((at) => at < 10_000).length).toBeGreaterThan(300);
  });

  it("paces to the headers' limit where it is lower, and the user's still holds over every minute", () => {
    const scope = new LimitScope("s", { requests: 600 });
    const admitted = sendFor(scope, 120_000, { limitRequests: 300 });
    expect(scope.limits()).toEqual({ requests: 300 });
    expect(busiestMinute(admitted)).toBeLessThanOrEqual(600);
  });

  it("bursts into what the headers allow where the user gave no limit", () => {
    const scope = new LimitScope("s");
    const admitted = sendFor(scope, 30_000, { limitRequests: 6_000 });
    expect(admitted.filter((at) => at < 10_000).length).toBeGreaterThan(3_000);
  });
});
