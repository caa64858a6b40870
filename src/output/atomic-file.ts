import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { chmod, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { UsageError } from "../core/errors.js";
import { processAlive } from "../core/process-alive.js";

/**
 * A file could not be written: where, and why in words (the system error is the cause). A usage
 * error (exit 2) as it stands; a run that fails this way after sending reports it as exit 3.
 */
export class OutputFileError extends UsageError {
  constructor(
    readonly path: string,
    readonly why: string,
    what: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: cannot write ${what}: ${why}`, options);
  }
}

export interface AtomicWriteOptions {
  /** What the file is, for messages: "the results file" (default), "the report" … */
  what?: string;
}

/**
 * Writes a file so that readers see the old file or the whole new one, never a part: into a
 * temporary file beside it, then renamed over it. A file rewritten keeps its permission bits (a
 * 0600 file stays 0600, and is never more readable while it is written). Temporary files of this
 * file that an earlier process left behind (killed mid-write) are removed first. A failure of the
 * file system is an OutputFileError; whatever `write` throws otherwise passes through unchanged.
 */
export async function writeFileAtomically(
  path: string,
  write: (out: LineSink) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const what = options.what ?? "the results file";
  const directory = dirname(path);
  const mode = await existingMode(path);
  await removeOrphans(directory, basename(path));
  const temporary = join(directory, temporaryName(basename(path)));
  const stream = createWriteStream(temporary, mode === undefined ? {} : { mode });
  let streamError: unknown;
  // Errors reach the caller through the awaits below; without a listener one would crash the process.
  stream.on("error", (error) => {
    streamError ??= error;
  });
  try {
    await once(stream, "open");
  } catch (error) {
    throw fileError(path, error, what);
  }
  const sink = new LineSink(stream);
  try {
    await write(sink);
    await sink.drain();
    stream.end();
    await finished(stream);
    // The umask may have taken bits off the mode the file was created with.
    if (mode !== undefined) await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    stream.destroy();
    await rm(temporary, { force: true });
    throw error === streamError || isSystemError(error) ? fileError(path, error, what) : error;
  }
}

/** The permission bits of the file being replaced, if there is one. */
async function existingMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/**
 * `.out.jsonl.<pid>-<random>.tmp`: hidden, beside the file, named after it and after the process
 * writing it, so that a later process can tell a leftover from a file being written right now.
 */
export function temporaryName(base: string): string {
  return `.${base}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
}

/**
 * Removes the temporary files of `base` whose writer is gone: a process of this host that no longer
 * runs, or one of an older metasync that did not name its process. A writer that is still running (another
 * metasync writing the same file at this moment) keeps its file.
 */
async function removeOrphans(directory: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return; // a missing directory fails below, with a message
  }
  const pattern = new RegExp(`^\\.${escapeRegExp(base)}\\.(?:(\\d+)-)?[0-9a-f]{8}\\.tmp$`);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = match[1] === undefined ? undefined : Number(match[1]);
    if (pid !== undefined && (pid === process.pid || processAlive(pid))) continue;
    await rm(join(directory, name), { force: true }).catch(() => {});
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An error of a file-system call (it names the call), as opposed to one thrown by the writer's own code. */
function isSystemError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.syscall === "string";
}

const REASONS: Record<string, (path: string) => string> = {
  ENOENT: (path) => `no such directory ${dirname(path)}`,
  ENOTDIR: (path) => `${dirname(path)} is not a directory`,
  EISDIR: () => "it is a directory",
  EACCES: () => "permission denied",
  EPERM: () => "permission denied",
  EROFS: () => "read-only file system",
  ENOSPC: () => "the disk is full",
  EDQUOT: () => "disk quota exceeded",
  EFBIG: () => "the file is too large",
  EIO: () => "I/O error",
};

function fileError(path: string, error: unknown, what: string): OutputFileError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const why = REASONS[code]?.(path) ?? (error as Error).message;
  return new OutputFileError(path, why, what, { cause: error });
}

/** Buffered writes with backpressure, for large outputs. */
export class LineSink {
  private buffer = "";
  private failure: unknown;
  constructor(private readonly stream: Writable) {
    stream.on("error", (error) => {
      this.failure ??= error;
    });
  }

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= 1 << 16) await this.drain();
  }

  async drain(): Promise<void> {
    // A write that failed after it was accepted (disk full) fails the next one; a failed stream never drains.
    if (this.failure) throw this.failure;
    if (this.buffer === "") return;
    const ok = this.stream.write(this.buffer);
    this.buffer = "";
    if (!ok) await drained(this.stream, () => this.failure);
  }
}

/** Resolves once `stream` drains; rejects if it fails or closes first. */
function drained(stream: Writable, failure: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown) => {
      stream.off("drain", onDrain);
      stream.off("error", settle);
      stream.off("close", onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = () => settle();
    const onClose = () => settle(failure() ?? new Error("the file was closed while being written"));
    stream.on("drain", onDrain);
    stream.on("error", settle);
    stream.on("close", onClose);
  });
}
