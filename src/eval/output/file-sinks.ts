import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import { UsageError } from "../../core/errors.js";
import { LineSink, temporaryName, writeFileAtomically } from "../../output/atomic-file.js";

/** Rejects `StreamedFile`'s pending write so that the temporary file is removed. */
class Discarded extends Error {}

/**
 * A file written from start to end as rows arrive, atomically: `writeFileAtomically` writes it into a
 * temporary file, which `close()` renames over `path` and `discard()` removes.
 */
export class StreamedFile {
  private constructor(
    private readonly sink: LineSink,
    private readonly settle: (error?: Error) => void,
    private readonly written: Promise<void>,
  ) {}

  static async open(path: string): Promise<StreamedFile> {
    let settle: (error?: Error) => void = () => {};
    const ended = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    let written: Promise<void> = Promise.resolve();
    const sink = await new Promise<LineSink>((resolve, reject) => {
      written = writeFileAtomically(path, (out) => {
        resolve(out);
        return ended;
      });
      written.catch(reject); // the file could not be opened
    });
    return new StreamedFile(sink, settle, written);
  }

  write(text: string): Promise<void> {
    return this.sink.write(text);
  }

  /** Puts the file in place. */
  async close(): Promise<void> {
    this.settle();
    await this.written;
  }

  async discard(): Promise<void> {
    this.settle(new Discarded());
    await this.written.catch(() => {});
  }
}

/**
 * Text kept on disk until the file it belongs in is written (a JSON array under a summary known only at
 * the end; a JUnit suite whose counts come first): beside that file, named like its temporary files
 * (`.name.<pid>-<hex>.tmp`), so that a leftover of a killed process is removed by the next write of it.
 */
export class Spool {
  private constructor(
    private readonly path: string,
    private readonly stream: WriteStream,
    private readonly sink: LineSink,
  ) {}

  static async open(beside: string): Promise<Spool> {
    const name = temporaryName(basename(beside));
    const path = join(dirname(beside), name);
    const stream = createWriteStream(path);
    stream.on("error", () => {}); // errors reach the caller through the awaits
    try {
      await once(stream, "open");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? `no such directory ${dirname(beside)}` : (error as Error).message;
      throw new UsageError(`${beside}: cannot write the output file: ${why}`, { cause: error });
    }
    return new Spool(path, stream, new LineSink(stream));
  }

  write(text: string): Promise<void> {
    return this.sink.write(text);
  }

  /** Writes everything spooled to `out`, in chunks. */
  async copyTo(out: LineSink): Promise<void> {
    await this.sink.drain();
    this.stream.end();
    await finished(this.stream);
    for await (const chunk of createReadStream(this.path, { encoding: "utf8", highWaterMark: 1 << 16 })) {
      await out.write(chunk as string);
    }
  }

  async remove(): Promise<void> {
    this.stream.destroy();
    await rm(this.path, { force: true });
  }
}
