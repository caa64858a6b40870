import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository, with its built binary, fixtures and recipes. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "metasync.js");
const BUILT_CLI = join(ROOT, "dist", "src", "cli", "main.js");

/** End-to-end tests run the built binary: fail with a clear message when there is none. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_CLI)) {
    throw new Error(
      `${BUILT_CLI} is missing: run \`npm run build\` first (\`npm test\` builds before testing)`,
    );
  }
}

export interface CliResult {
  code: number | null;
  /** The signal that ended the binary, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** Text written to the binary's stdin; stdin is closed either way. */
  stdin?: string;
  env?: Record<string, string>;
  /** Sends `signal` to the binary once `ms` have passed (a crash, a Ctrl-C). */
  killAfter?: { signal: NodeJS.Signals; ms: number };
  /**
   * Sends `signal` to the binary as soon as `when` is true of what it has printed so far (polled every
   * 10 ms): a crash or a Ctrl-C mid-work, whatever start-up takes on a busy machine.
   */
  killWhen?: { signal: NodeJS.Signals; when: (printed: { stdout: string; stderr: string }) => boolean };
}

/** Runs `node bin/metasync.js …args` offline: no API keys, no colour, state under `cwd`. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string> = { NO_COLOR: "1", PATH: process.env.PATH ?? "" };
  if (process.env.SYSTEMROOT) env.SYSTEMROOT = process.env.SYSTEMROOT;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const { killAfter } = options;
    const killer = killAfter && setTimeout(() => child.kill(killAfter.signal), killAfter.ms);
    const { killWhen } = options;
    const watcher =
      killWhen &&
      setInterval(() => {
        if (killWhen.when({ stdout, stderr })) {
          clearInterval(watcher);
          child.kill(killWhen.signal);
        }
      }, 10);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      clearInterval(watcher);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** A fresh working directory, with the repository's fixtures/ and recipes/ copied in. */
export function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "metasync-e2e-"));
  cpSync(join(ROOT, "fixtures"), join(dir, "fixtures"), { recursive: true });
  cpSync(join(ROOT, "recipes"), join(dir, "recipes"), { recursive: true });
  return dir;
}

/** Files in `dir` whose names mention `name`: the results file and any temporary file beside it. */
export function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir).filter((file) => file.includes(name));
}

/** Parses JSON Lines text. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
