import type { Item, ItemResult } from "../core/types.js";
import type { Coordinator } from "./coordinator.js";
import { RUNS, runKeys, TAKERS } from "./redis-keys.js";

/** An item taken from a shared run, under a lease (its entry in the takers' group). */
export interface TakenItem {
  entry: string;
  item: Item;
}

/** A result a taker sent back. */
export interface SentResult {
  entry: string;
  index: number;
  result: ItemResult;
}

/** What a worker needs to send a shared run's items: the owner's sending settings (never a key). */
export interface SharedRunDescription {
  runId: string;
  maxAttempts: number;
  timeoutMs: number;
  stream: boolean;
  strategy: string;
  tpm?: number | undefined;
  rpm?: number | undefined;
  /** The models of the items still pending, and the fallback models, as `provider:model`. */
  models: string[];
  fallbacks: string[];
  /** The endpoint the run names for each provider that has one (`--base-url`, `OPENAI_BASE_URL` …). */
  endpoints: Record<string, string>;
}

/** Leases: an item not renewed for this long is taken by another taker (a dead worker's). */
export const LEASE = {
  /** Idle time after which another taker reclaims an item. */
  reclaimAfterMs: 15_000,
  /** How often a taker renews the leases of the items it holds. */
  renewEveryMs: 5_000,
  /** How long a shared run's keys outlive its owner's last heartbeat. */
  keepMs: 7 * 24 * 3_600_000,
};

type Entry = [string, string[]];

/**
 * A shared run's work in Redis: a stream of items that takers (the owner and `metasync worker`s)
 * read through one consumer group, so each item is lent to one taker at a time; a taker renews the
 * leases it holds, and a lease not renewed for `reclaimAfterMs` (its taker died) is taken by
 * another. Results go back on a second stream that only the owner reads; the owner records the
 * first result of each item and deletes the item's entry.
 */
export class WorkQueue {
  readonly keys: { run: string; items: string; results: string };

  constructor(
    private readonly coordinator: Coordinator,
    readonly runId: string,
  ) {
    this.keys = runKeys(runId);
  }

  /** The indexes of the items already published (and not yet done). */
  async published(): Promise<Set<number>> {
    const indexes = new Set<number>();
    let start = "-";
    for (;;) {
      const page = (await this.command(["XRANGE", this.keys.items, start, "+", "COUNT", "1000"])) as Entry[];
      for (const [, fields] of page) indexes.add(Number(field(fields, "i")));
      const last = page.at(-1);
      if (!last || page.length < 1000) return indexes;
      start = `(${last[0]}`;
    }
  }

  /** Publishes the run's description and items (the owner), and announces the run to workers. */
  async publish(description: SharedRunDescription, items: Iterable<Item>): Promise<void> {
    await this.command(["HSET", this.keys.run, "description", JSON.stringify(description)]);
    try {
      await this.command(["XGROUP", "CREATE", this.keys.items, TAKERS, "0", "MKSTREAM"]);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
    }
    let batch: string[][] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const commands = batch;
      batch = [];
      await this.coordinator.call(async (client) => {
        const multi = client.multi();
        for (const args of commands) multi.addCommand(args);
        await multi.exec();
      });
    };
    for (const item of items) {
      batch.push(["XADD", this.keys.items, "*", "i", String(item.index), "item", JSON.stringify(item)]);
      if (batch.length >= 500) await flush();
    }
    await flush();
    await this.heartbeat();
  }

  /** The owner is alive: workers keep taking the run's items, and its keys are kept. */
  async heartbeat(): Promise<void> {
    await this.coordinator.script(
      `${NOW}
redis.call('ZADD', KEYS[1], now, ARGV[1])
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return now`,
      [RUNS, this.keys.run, this.keys.items, this.keys.results],
      [this.runId, String(LEASE.keepMs)],
    );
  }

  /** The run's description, or undefined once the run is finished (or gone). */
  async description(): Promise<SharedRunDescription | undefined> {
    const text = (await this.command(["HGET", this.keys.run, "description"])) as string | null;
    return text === null ? undefined : (JSON.parse(text) as SharedRunDescription);
  }

  /**
   * Takes up to `count` items for `taker`: those whose taker stopped renewing their lease first,
   * then new ones. Returns [] when there is nothing to take right now.
   */
  async take(taker: string, count: number): Promise<TakenItem[]> {
    const taken: TakenItem[] = [];
    try {
      const [, claimed] = (await this.command([
        "XAUTOCLAIM",
        this.keys.items,
        TAKERS,
        taker,
        String(LEASE.reclaimAfterMs),
        "0",
        "COUNT",
        String(count),
      ])) as [string, (Entry | null)[]];
      for (const entry of claimed) if (entry) taken.push(takenItem(entry));
      if (taken.length < count) {
        const read = (await this.command([
          "XREADGROUP",
          "GROUP",
          TAKERS,
          taker,
          "COUNT",
          String(count - taken.length),
          "STREAMS",
          this.keys.items,
          ">",
        ])) as [string, Entry[]][] | null;
        for (const entry of read?.[0]?.[1] ?? []) taken.push(takenItem(entry));
      }
    } catch (error) {
      // The run finished (its stream and group were deleted) between two looks.
      if (error instanceof Error && error.message.startsWith("NOGROUP")) return taken;
      throw error;
    }
    return taken;
  }

  /** Renews the leases `taker` still holds among `entries` (one another taker reclaimed stays theirs). */
  async renew(taker: string, entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    const held = new Set(entries);
    const pending = (await this.command([
      "XPENDING",
      this.keys.items,
      TAKERS,
      "-",
      "+",
      String(Math.max(entries.length, 1) * 4),
      taker,
    ]).catch(() => [])) as [string, string, number, number][];
    const mine = pending.map(([id]) => id).filter((id) => held.has(id));
    if (mine.length === 0) return;
    await this.command(["XCLAIM", this.keys.items, TAKERS, taker, "0", ...mine, "JUSTID"]);
  }

  /** A taker sends a result back (the owner records it) and gives up the item's lease. */
  async sendResult(entry: string, item: Item, result: ItemResult): Promise<void> {
    await this.coordinator.call(async (client) => {
      const multi = client.multi();
      multi.addCommand([
        "XADD",
        this.keys.results,
        "*",
        "entry",
        entry,
        "i",
        String(item.index),
        "result",
        JSON.stringify(result),
      ]);
      multi.addCommand(["XACK", this.keys.items, TAKERS, entry]);
      await multi.exec();
    });
  }

  /** Results sent back after `after` (a stream id; "0" for all), at most `count`. */
  async results(after: string, count: number): Promise<{ id: string; sent: SentResult }[]> {
    const page = (await this.command([
      "XRANGE",
      this.keys.results,
      `(${after}`,
      "+",
      "COUNT",
      String(count),
    ]).catch((error: unknown) => {
      if (error instanceof Error && /Invalid stream ID/.test(error.message)) return [];
      throw error;
    })) as Entry[];
    return page.map(([id, fields]) => ({
      id,
      sent: {
        entry: field(fields, "entry"),
        index: Number(field(fields, "i")),
        result: JSON.parse(field(fields, "result")) as ItemResult,
      },
    }));
  }

  /** The owner recorded these items: nobody takes them again, and their results are not kept. */
  async done(entries: readonly string[], results: readonly string[]): Promise<void> {
    if (entries.length === 0 && results.length === 0) return;
    await this.coordinator.call(async (client) => {
      const multi = client.multi();
      if (entries.length > 0) {
        multi.addCommand(["XACK", this.keys.items, TAKERS, ...entries]);
        multi.addCommand(["XDEL", this.keys.items, ...entries]);
      }
      if (results.length > 0) multi.addCommand(["XDEL", this.keys.results, ...results]);
      await multi.exec();
    });
  }

  /** The run is finished: its keys go, and workers stop looking for its items. */
  async finish(): Promise<void> {
    await this.coordinator.call(async (client) => {
      const multi = client.multi();
      multi.addCommand(["DEL", this.keys.run, this.keys.items, this.keys.results]);
      multi.addCommand(["ZREM", RUNS, this.runId]);
      await multi.exec();
    });
  }

  private command(args: string[]): Promise<unknown> {
    return this.coordinator.call((client) => client.sendCommand(args));
  }
}

/** The shared runs whose owner was alive within `withinMs` (by Redis's clock), the most recent first. */
export async function sharedRuns(coordinator: Coordinator, withinMs: number): Promise<string[]> {
  return (await coordinator.script(
    `${NOW}
return redis.call('ZRANGE', KEYS[1], '+inf', now - tonumber(ARGV[1]), 'BYSCORE', 'REV')`,
    [RUNS],
    [String(withinMs)],
  )) as string[];
}

function takenItem([entry, fields]: Entry): TakenItem {
  return { entry, item: JSON.parse(field(fields, "item")) as Item };
}

function field(fields: string[], name: string): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] as string;
  return "";
}

/** Redis's clock in ms, inside a script: heartbeats and their age do not depend on machines' clocks. */
const NOW =
  "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";
