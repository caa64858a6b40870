import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where `redis-server` is, if it is installed (`.ci/run` installs Debian's). */
function findRedisServer(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const found = findRedisServer();
if (found === undefined) {
  if (process.env.CI === "true") {
    // In CI the suites that need Redis must run: a missing server is a failure, never a skip.
    throw new Error(
      "redis-server is not installed, and CI=true: install it (apt-get install -y redis-server)",
    );
  }
  console.warn(
    "SKIPPED: redis-server is not installed, so the scale-out tests (--coordinator, --share, worker) do not run; install it (e.g. apt-get install redis-server) to run them",
  );
}

/** Whether the tests that need a real Redis can run here. */
export const redisInstalled = found !== undefined;

/** A `redis-server` of the test's own, on a unix socket in a temporary directory. */
export interface RedisServer {
  /** `unix:///…/redis.sock`, as `--coordinator` takes it. */
  url: string;
  socket: string;
  /** Runs `redis-cli` against it and returns its output. */
  cli(...args: string[]): string;
  /** Stops the server (the socket goes away; `start` brings it back, empty). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Starts a fresh `redis-server` (no persistence) on a unix socket; wait for it to answer PING. */
export async function startRedisServer(): Promise<RedisServer> {
  if (found === undefined) throw new Error("redis-server is not installed");
  const dir = mkdtempSync(join(tmpdir(), "metasync-redis-"));
  const socket = join(dir, "redis.sock");
  let child: ChildProcess | undefined;
  const cli = (...args: string[]) =>
    execFileSync("redis-cli", ["-s", socket, ...args], { encoding: "utf8" }).trimEnd();
  const start = async () => {
    child = spawn(
      found,
      ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: "ignore" },
    );
    for (let i = 0; i < 200; i++) {
      if (existsSync(socket)) {
        try {
          if (cli("PING") === "PONG") return;
        } catch {
          // not yet
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("redis-server did not start within 5 s");
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill("SIGKILL");
    await once(running, "exit");
    rmSync(socket, { force: true });
  };
  await start();
  return {
    url: `unix://${socket}`,
    socket,
    cli,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
