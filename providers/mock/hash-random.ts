import { createHash } from "node:crypto";

/**
 * A draw in [0, 1) from a hash of the seed and the parts that name it (a request, an attempt): the
 * same request gets the same draw whatever the order requests are sent or answered in, so a mock's
 * answers and failures do not change with concurrency.
 */
export function hashDraw(seed: number, ...parts: readonly string[]): number {
  const hash = createHash("sha256").update(String(seed));
  for (const part of parts) hash.update("\u0000").update(part);
  return hash.digest().readUInt32BE(0) / 4294967296;
}
