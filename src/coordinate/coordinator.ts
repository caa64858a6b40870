import { createHash } from "node:crypto";
import { createClient, ErrorReply } from "redis";
import type { Clock } from "../core/clock.js";
import { StoppedEarlyError } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { CoordinatorAddress } from "./coordinator-url.js";

/** How often a command is tried again while Redis is unreachable. */
const RETRY_MS = 250;

function redisClient(address: CoordinatorAddress) {
  return createClient({
    ...(address.url === undefined ? {} : { url: address.url }),
    ...(address.database === undefined ? {} : { database: address.database }),
    // A command while disconnected fails at once (and is retried here) rather than queued.
    disableOfflineQueue: true,
    // Raw replies (streams read through sendCommand) in RESP2's plain arrays.
    RESP: 2,
    socket: {
      ...(address.socketPath === undefined ? {} : { path: address.socketPath }),
      connectTimeout: 2_000,
      reconnectStrategy: () => RETRY_MS,
    },
  });
}

type RedisClient = ReturnType<typeof redisClient>;

/** Redis did not come back within `--coordinator-timeout`: the run stops, resumable (exit 3). */
export class CoordinatorUnavailableError extends StoppedEarlyError {}

export interface CoordinatorOptions {
  /** How long to wait for Redis to come back before giving up (exit 3). */
  timeoutMs: number;
  clock: Clock;
  emit: EventSink;
}

/**
 * The connection to Redis that limit scopes and shared runs go through. It fails closed: while
 * Redis is unreachable every call waits (nothing is admitted, so nothing is sent unmetered), the
 * user is told once, and after `timeoutMs` the call fails with `CoordinatorUnavailableError`.
 */
export class Coordinator {
  private outageSince: number | undefined;
  private closed = false;
  private connecting: Promise<boolean> | undefined;
  private readonly shas = new Map<string, string>();

  private constructor(
    readonly client: RedisClient,
    readonly address: CoordinatorAddress,
    private readonly options: CoordinatorOptions,
  ) {}

  /** A coordinator for `address`, connecting in the background: `connected()` waits for it. */
  static create(address: CoordinatorAddress, options: CoordinatorOptions): Coordinator {
    const client = redisClient(address);
    // Connection errors are reported through the calls that wait for Redis, not as crashes.
    client.on("error", () => {});
    return new Coordinator(client, address, options);
  }

  /** Waits up to `timeoutMs` for the first connection (saying so if it takes more than a moment). */
  async connected(): Promise<void> {
    const { clock, timeoutMs } = this.options;
    this.connecting ??= this.client.connect().then(() => true);
    const connecting = this.connecting;
    connecting.catch(() => {});
    const stop = new AbortController();
    const after = (ms: number) =>
      clock.sleep(ms, stop.signal).then(
        () => false,
        () => false,
      );
    const moment = Math.min(RETRY_MS * 4, timeoutMs / 2);
    let ready = await Promise.race([connecting, after(moment)]);
    if (!ready) {
      this.lost();
      ready = await Promise.race([connecting, after(timeoutMs - moment)]);
    }
    stop.abort();
    if (!ready) {
      this.closed = true;
      this.client.destroy();
      throw this.unavailable();
    }
    if (this.outageSince !== undefined) this.back();
  }

  /**
   * Runs `command`; while Redis is unreachable, tries again every 250 ms (nothing it guards goes
   * ahead meanwhile), and fails with `CoordinatorUnavailableError` once the outage lasts
   * `timeoutMs`. An error Redis itself answered (a script's) is thrown at once.
   */
  async call<T>(command: (client: RedisClient) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.closed) throw this.unavailable();
      try {
        const result = await command(this.client);
        if (this.outageSince !== undefined) this.back();
        return result;
      } catch (error) {
        if (error instanceof ErrorReply && !error.message.startsWith("LOADING")) throw error;
        this.lost();
        const since = this.outageSince ?? this.options.clock.now();
        if (this.options.clock.now() - since >= this.options.timeoutMs) throw this.unavailable();
        await this.options.clock.sleep(RETRY_MS);
      }
    }
  }

  /** Runs a Lua script by its SHA (loading it the first time Redis does not know it). */
  async script(source: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.shas.get(source);
    if (sha === undefined) {
      sha = createHash("sha1").update(source).digest("hex");
      this.shas.set(source, sha);
    }
    const known = sha;
    return this.call(async (client) => {
      try {
        return await client.evalSha(known, { keys, arguments: args });
      } catch (error) {
        if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
        return client.eval(source, { keys, arguments: args });
      }
    });
  }

  /** Whether Redis is unreachable right now (as far as the last call found). */
  get unreachable(): boolean {
    return this.outageSince !== undefined;
  }

  /** Closes the connection once the commands sent have been answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.isReady) await this.client.close();
      else if (this.client.isOpen) this.client.destroy();
    } catch {
      // gone already
    }
  }

  private lost(): void {
    if (this.outageSince !== undefined) return;
    this.outageSince = this.options.clock.now();
    this.options.emit({
      type: "warning",
      message: `coordinator ${this.address.shown} is unreachable: nothing is sent until it is back (giving up after ${Math.round(this.options.timeoutMs / 1000)} s, resumable)`,
    });
  }

  private back(): void {
    this.outageSince = undefined;
    this.options.emit({
      type: "warning",
      message: `coordinator ${this.address.shown} is back: sending again`,
    });
  }

  private unavailable(): CoordinatorUnavailableError {
    return new CoordinatorUnavailableError(
      `coordinator ${this.address.shown} unreachable for ${Math.round(this.options.timeoutMs / 1000)} s: stopped with nothing sent unmetered; run the same command again once Redis is back (or raise --coordinator-timeout)`,
    );
  }
}
