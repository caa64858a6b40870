import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIT, RATE_LIMITED, SETTLE } from "../../src/coordinate/limit-scripts.js";
import { scopeKeys } from "../../src/coordinate/redis-keys.js";
import { type RedisServer, redisInstalled, startRedisServer } from "../support/redis-server.js";

/** A charge in the scripts' order: requests, tokens, input tokens, output tokens. */
type Four = [number, number, number, number];

const SAFETY = 1; // the arithmetic without a margin: 60 000 a minute is one per ms
const TOLERANCE = 20;
const IDLE_TTL = 600_000;
const LEASE_TTL = 1_000;
const WINDOW = 1_000;

describe.skipIf(!redisInstalled)("the limit scripts (GCRA on a clock passed in)", () => {
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  const { hash, inflight, window } = scopeKeys("openai:test");

  beforeAll(async () => {
    server = await startRedisServer();
    client = createClient({ socket: { path: server.socket, tls: false } });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await client.flushAll();
  });

  const admit = async (now: number, charge: Four, limits: Four, lease = `lease-${now}`, safety = SAFETY) => {
    const args = [
      String(now),
      lease,
      String(LEASE_TTL),
      String(safety),
      String(TOLERANCE),
      String(IDLE_TTL),
      String(WINDOW),
    ];
    charge.forEach((amount, i) => {
      args.push(String(amount), String(limits[i]));
    });
    const [admitted, value, ...inForce] = (await client.eval(ADMIT, {
      keys: [hash, inflight, window],
      arguments: args,
    })) as [number, string, ...string[]];
    return { admitted: admitted === 1, value: Number(value), limits: inForce.map(Number) };
  };
  const settle = (now: number, lease: string, charged: Four, settled: Four, limits: Four, learned: Four) => {
    const args = [String(now), lease, String(SAFETY)];
    for (let i = 0; i < 4; i++) {
      args.push(String(charged[i]), String(settled[i]), String(limits[i]), String(learned[i]));
    }
    return client.eval(SETTLE, { keys: [hash, inflight, window], arguments: args });
  };
  const tat = async (dimension: string) => Number(await client.hGet(hash, `tat:${dimension}`));

  it("admits an idle scope at once and schedules the next charge after it (tokens: 60 000 a minute is 1 a ms)", async () => {
    expect(await admit(1_000, [1, 100, 0, 0], [0, 60_000, 0, 0])).toMatchObject({
      admitted: true,
      value: 1_000,
    });
    expect(await tat("tokens")).toBe(1_100);
    // 100 ms of schedule ahead, 20 of tolerance: 80 ms to wait.
    expect(await admit(1_000, [1, 100, 0, 0], [0, 60_000, 0, 0])).toMatchObject({
      admitted: false,
      value: 80,
    });
    expect(await admit(1_079, [1, 100, 0, 0], [0, 60_000, 0, 0])).toMatchObject({
      admitted: false,
      value: 1,
    });
    expect(await admit(1_080, [1, 100, 0, 0], [0, 60_000, 0, 0])).toMatchObject({ admitted: true });
    expect(await tat("tokens")).toBe(1_200);
  });

  it("decides over every dimension at once: the one furthest behind sets the wait, and nothing is charged while waiting", async () => {
    // 600 requests a minute: one per 100 ms; 600 000 tokens: 10 a ms.
    const limits: Four = [600, 600_000, 0, 0];
    await admit(0, [1, 50, 0, 0], limits);
    expect(await tat("requests")).toBe(100);
    expect(await tat("tokens")).toBe(5);
    const refused = await admit(10, [1, 50, 0, 0], limits);
    expect(refused).toMatchObject({ admitted: false, value: 70 });
    expect(await tat("tokens")).toBe(5); // a refused charge moves no schedule
    expect(await admit(80, [1, 50, 0, 0], limits)).toMatchObject({ admitted: true });
    expect(await tat("requests")).toBe(200);
    expect(await tat("tokens")).toBe(85);
  });

  it("settles by the usage the answer reports, and takes in the limit the headers learned", async () => {
    const limits: Four = [0, 60_000, 0, 0];
    await admit(0, [1, 100, 100, 0], limits, "a");
    expect(await client.zScore(inflight, "a")).toBe(LEASE_TTL);
    // The provider counted 40 tokens, not 100: the schedule gives 60 ms back.
    await settle(50, "a", [1, 100, 100, 0], [1, 40, 40, 0], limits, [0, 30_000, 0, 0]);
    expect(await tat("tokens")).toBe(40);
    // The window holds the limited dimension (tokens) at what the provider counted.
    expect(await client.zRangeWithScores(window, 0, -1)).toEqual([{ value: "a:2:40", score: 0 }]);
    expect(await client.zScore(inflight, "a")).toBeNull();
    // The learned 30 000 a minute (lower than configured) is in force for every process now.
    const next = await admit(50, [1, 60, 0, 0], limits);
    expect(next.limits).toEqual([0, 30_000, 0, 0]);
    expect(await tat("tokens")).toBe(50 + 60 * 2);
  });

  it("never lets more than a sixtieth of a limit into any one-second window, however far ahead the schedule lets it", async () => {
    // A schedule four times the limit (safety 4) would take 400 tokens each 100 ms; the window holds 1 000.
    const limits: Four = [0, 60_000, 0, 0];
    expect(await admit(0, [1, 400, 0, 0], limits, "a", 4)).toMatchObject({ admitted: true });
    expect(await admit(80, [1, 400, 0, 0], limits, "b", 4)).toMatchObject({ admitted: true });
    // 800 in the window: another 400 waits until the first leaves it, at 1 000.
    expect(await admit(180, [1, 400, 0, 0], limits, "c", 4)).toMatchObject({ admitted: false, value: 820 });
    expect(await admit(1_000, [1, 400, 0, 0], limits, "c", 4)).toMatchObject({ admitted: true });
    expect(await client.zCard(window)).toBe(2);
  });

  it("cools the scope down after a 429 for every process, as long as the provider asked", async () => {
    const limits: Four = [0, 60_000, 0, 0];
    await admit(0, [1, 10, 0, 0], limits, "x");
    const coolMs = await client.eval(RATE_LIMITED, {
      keys: [hash, inflight],
      arguments: ["100", "x", "2000", "0", "0", "0", "0"],
    });
    expect(coolMs).toBe("2000");
    expect(await admit(600, [1, 10, 0, 0], limits)).toMatchObject({ admitted: false, value: 1_500 });
    expect(await admit(2_100, [1, 10, 0, 0], limits)).toMatchObject({ admitted: true });
  });

  it("counts a request in flight until it settles, and forgets a lease that lapsed (its process died)", async () => {
    const limits: Four = [0, 60_000, 0, 0];
    await admit(0, [1, 10, 0, 0], limits, "dead");
    await admit(10, [1, 10, 0, 0], limits, "alive");
    expect(await client.zCard(inflight)).toBe(2);
    await admit(LEASE_TTL + 5, [1, 10, 0, 0], limits, "later");
    expect(await client.zRange(inflight, 0, -1)).toEqual(["alive", "later"]);
    expect(await client.pTTL(hash)).toBeGreaterThan(IDLE_TTL - 1_000);
  });
});
