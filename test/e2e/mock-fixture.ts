import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "vitest";
import {
  keyFingerprint,
  type MockServer,
  type MockServerOptions,
  startMockServer,
} from "../../src/mock-server/index.js";
import { type CliResult, jsonLines, runCli, workDir } from "./cli.js";

export { keyFingerprint };

/**
 * A mock server on 127.0.0.1, on a free port, closed when the test that started it finishes (the
 * test's own hook: tests run concurrently, and a global afterEach would close the others' servers).
 */
export async function serve(test: TestContext, options: MockServerOptions = {}): Promise<MockServer> {
  const server = await startMockServer({ host: "127.0.0.1", port: 0, ...options });
  test.onTestFinished(() => server.close());
  return server;
}

/** The environment that points a provider's SDK at a mock server with the given key(s). */
export function providerEnv(
  provider: "openai" | "anthropic",
  server: MockServer,
  keys: string | readonly string[],
): Record<string, string> {
  const list = typeof keys === "string" ? undefined : keys.join(",");
  if (provider === "openai") {
    return {
      OPENAI_BASE_URL: `${server.url}/v1`,
      ...(list === undefined ? { OPENAI_API_KEY: keys as string } : { OPENAI_API_KEYS: list }),
    };
  }
  return {
    ANTHROPIC_BASE_URL: server.url,
    ...(list === undefined ? { ANTHROPIC_API_KEY: keys as string } : { ANTHROPIC_API_KEYS: list }),
  };
}

/** A fresh working directory holding `prompts.jsonl` with these rows. */
export function promptsDir(rows: readonly Record<string, unknown>[]): string {
  const cwd = workDir();
  writeFileSync(join(cwd, "prompts.jsonl"), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  return cwd;
}

export interface RunOutcome extends CliResult {
  /** Result lines by item id. */
  results: Record<string, Record<string, unknown>>;
  /** Wall time of the whole process, in milliseconds. */
  wallMs: number;
}

/**
 * `metasync run prompts.jsonl … --state state.db`, results on stdout, progress off unless `args`
 * asks for it.
 */
export async function runPrompts(
  cwd: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<RunOutcome> {
  const progress = args.includes("--progress") ? [] : ["--progress", "none"];
  const started = Date.now();
  const result = await runCli(["run", "prompts.jsonl", "--state", "state.db", ...progress, ...args], {
    cwd,
    env,
  });
  const wallMs = Date.now() - started;
  const results = Object.fromEntries(
    jsonLines(result.stdout).map((line) => [String(line.id), line] as const),
  );
  return { ...result, results, wallMs };
}
