import type { Writable } from "node:stream";

/** A result line for a stream, with the index of the item it belongs to. */
export interface StreamedLine {
  index: number;
  text: string;
}

/**
 * Result lines streamed to a reader (stdout), at least once: a line counts as printed only once its
 * write has completed — handed to the pipe, file or terminal — never when it is merely queued in
 * this process's memory behind a slow reader. `onPrinted` hears which items' lines completed, in
 * groups (at most one every `reportEveryMs`, and when the writes settle); a line whose write failed
 * (the reader went away) or never completed (the process was killed) is not reported, so a resume
 * prints it again. A line can thus be printed twice — its write completed, the process died before
 * `onPrinted` recorded it — but never lost.
 */
export class StreamedLines {
  private inFlight = 0;
  private completed: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly stream: Writable,
    private readonly onPrinted: (indexes: readonly number[]) => void,
    /**
     * How long completed lines wait to be reported, so that recording them costs little next to
     * printing them; after a crash, at most this long's lines are printed again.
     */
    private readonly reportEveryMs = 200,
  ) {}

  /** Whether the reader has gone away: nothing written now reaches it. */
  get closed(): boolean {
    return this.stream.destroyed || this.stream.writableEnded;
  }

  /** Writes the lines in one write; false when the stream asks its writer to wait (see `drained`). */
  write(lines: readonly StreamedLine[]): boolean {
    if (lines.length === 0) return true;
    let text = "";
    const indexes: number[] = [];
    for (const line of lines) {
      text += line.text;
      indexes.push(line.index);
    }
    this.inFlight++;
    return this.stream.write(text, (error) => {
      this.inFlight--;
      if (!error) {
        for (const index of indexes) this.completed.push(index);
        this.timer ??= setTimeout(() => this.report(), this.reportEveryMs).unref();
      }
      if (this.inFlight === 0) this.wake();
    });
  }

  /** Resolves when the stream can take more without queueing (or has failed). */
  drained(): Promise<void> {
    const stream = this.stream;
    if (!stream.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("error", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("error", done);
      stream.on("close", done);
    });
  }

  /** Waits until every write so far has completed or failed, and reports what completed. */
  async settled(): Promise<void> {
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.report();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private report(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.completed.length === 0) return;
    const indexes = this.completed;
    this.completed = [];
    try {
      this.onPrinted(indexes);
    } catch {
      // A record that cannot be kept only means these lines are printed again by a resume.
    }
  }
}
