import type { Coordinator } from "./coordinator.js";
import { DEAD_KEYS } from "./redis-keys.js";

/** How long a key found dead stays known as dead after the last process found one. */
const KEEP_MS = 7 * 24 * 3_600_000;

/**
 * Keys found dead (refused twice, out of quota), shared between the processes on one coordinator so
 * that no other process spends requests finding out again. Keys are named by provider and
 * fingerprint only.
 */
export class DeadKeyBoard {
  constructor(private readonly coordinator: Coordinator) {}

  async publish(provider: string, fingerprint: string, reason: string): Promise<void> {
    await this.coordinator.call(async (client) => {
      const multi = client.multi();
      multi.addCommand(["HSET", DEAD_KEYS, `${provider}:${fingerprint}`, reason]);
      multi.addCommand(["PEXPIRE", DEAD_KEYS, String(KEEP_MS)]);
      await multi.exec();
    });
  }

  /** Every key found dead, by `provider:fingerprint`. */
  async read(): Promise<Map<string, string>> {
    const flat = (await this.coordinator.call((client) =>
      client.sendCommand(["HGETALL", DEAD_KEYS]),
    )) as string[];
    const dead = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) dead.set(flat[i] as string, flat[i + 1] as string);
    return dead;
  }
}
