import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { UsageError } from "../core/errors.js";

/**
 * Writes a file so that readers see the old file or the whole new one, never a part: into a
 * temporary file beside it, then renamed over it.
 */
export async function writeFileAtomically(
  path: string,
  write: (out: LineSink) => Promise<void>,
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const stream = createWriteStream(temporary);
  // Errors reach the caller through the awaits below; without a listener one would crash the process.
  stream.on("error", () => {});
  try {
    await once(stream, "open");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? `no such directory ${dirname(path)}`
        : code === "EACCES"
          ? "permission denied"
          : (error as Error).message;
    throw new UsageError(`${path}: cannot write the results file: ${why}`, { cause: error });
  }
  const sink = new LineSink(stream);
  try {
    await write(sink);
    await sink.drain();
    stream.end();
    await finished(stream);
    await rename(temporary, path);
  } catch (error) {
    stream.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Buffered writes with backpressure, for large outputs. */
export class LineSink {
  private buffer = "";
  constructor(private readonly stream: Writable) {}

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= 1 << 16) await this.drain();
  }

  async drain(): Promise<void> {
    if (this.buffer === "") return;
    const ok = this.stream.write(this.buffer);
    this.buffer = "";
    // `once` rejects if the stream fails (disk full…) instead of waiting for a drain that never comes.
    if (!ok) await once(this.stream, "drain");
  }
}
