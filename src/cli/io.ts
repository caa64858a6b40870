import { resolve } from "node:path";

/**
 * What a command may touch of the world outside it: the process's streams, environment and working
 * directory, its stop signals and its exit. `processIo()` is the real process; tests pass their own
 * to drive the CLI in-process.
 */
export interface CliIo {
  /** Results and command output. */
  readonly stdout: NodeJS.WriteStream;
  /** Messages and progress: everything that is not a result. */
  readonly stderr: NodeJS.WriteStream;
  /** Where `run -` reads its input; the dashboard's keyboard. */
  readonly stdin: NodeJS.ReadStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
  /**
   * Calls `handler` with the signal's name on every SIGINT or SIGTERM until the returned function is
   * called (Node hands a signal's listener its name).
   */
  onStopSignal(handler: (signal?: StopSignal) => void): () => void;
  /** Ends the process at once (a second Ctrl-C): nothing after it runs. */
  exit(code: number): void;
}

/** The signals that stop a command: Ctrl-C at a terminal, or a service manager's SIGTERM. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** This process: its streams, environment, working directory and signals. */
export function processIo(): CliIo {
  return {
    // Getters: touching process.stdin creates a stream, which --version has no need of.
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    onStopSignal(handler) {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
    exit: (code) => process.exit(code),
  };
}

/**
 * A path the user gave, for a library call that resolves paths against the process's directory.
 * Kept as typed when `io.cwd` is that directory, so messages show the path as the user wrote it.
 */
export function userPath(io: CliIo, path: string): string {
  return io.cwd === process.cwd() ? path : resolve(io.cwd, path);
}
