import { Readable, Writable } from "node:stream";
import type { CliIo } from "../../src/cli/io.js";

/** A `CliIo` in memory: what the CLI printed, the signal handlers it left, the exits it asked for. */
export interface MemoryIo extends CliIo {
  stdoutText(): string;
  stderrText(): string;
  /** Delivers a SIGINT to whoever is listening. */
  interrupt(): void;
  readonly exits: number[];
}

export interface MemoryIoOptions {
  env?: Record<string, string>;
  /** What `run -` reads. */
  stdin?: string;
  /** Makes every write to stdout throw this (a bug in the making). */
  stdoutThrows?: Error;
}

export function memoryIo(cwd: string, options: MemoryIoOptions = {}): MemoryIo {
  const out = textSink(options.stdoutThrows);
  const err = textSink();
  const handlers = new Set<() => void>();
  const exits: number[] = [];
  return {
    stdout: out.stream,
    stderr: err.stream,
    // Not a terminal: neither has isTTY, as with a pipe.
    stdin: Readable.from([Buffer.from(options.stdin ?? "")]) as unknown as NodeJS.ReadStream,
    env: { NO_COLOR: "1", ...options.env },
    cwd,
    onStopSignal(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    exit: (code) => exits.push(code),
    stdoutText: () => out.text(),
    stderrText: () => err.text(),
    interrupt: () => {
      for (const handler of [...handlers]) handler();
    },
    exits,
  };
}

function textSink(throws?: Error): { stream: NodeJS.WriteStream; text(): string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  if (throws) {
    stream.write = () => {
      throw throws;
    };
  }
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}
