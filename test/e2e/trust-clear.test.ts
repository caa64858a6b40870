import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startMockServer } from "../../src/mock-server/index.js";
import { assertBuilt, type CliResult, jsonLines, ROOT, runCli, workDir } from "./cli.js";
import { promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

// Issue 16, "Trust, part 2": failing clearly and fast, crash paths that are no bugs, and polish a
// user notices (numbers, time stamps, signals, report names, where the SDKs log).

beforeAll(assertBuilt);

const BIN = join(ROOT, "bin", "metasync.js");
const OPENAI = "openai:gpt-4o-mini";
const KEY = { OPENAI_API_KEY: "sk-clear-0123456789" };
const BUG = /this is a bug|at .*\.js:\d+/;
/** `[2026-11-29T21:06:12Z]`: a plain line's time stamp. */
const STAMP = /\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]/;

const rows = (count: number, text = (i: number) => `prompt ${i}`) =>
  Array.from({ length: count }, (_, i) => ({ id: `p${i}`, prompt: text(i) }));

/** A port nothing listens on: one the system handed out, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs the binary with its stdout closed before it writes anything, as `metasync … | head` leaves
 * it once head has read its lines: every write to stdout fails with EPIPE.
 */
function runWithClosedStdout(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { NO_COLOR: "1", PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: "", stderr });
    });
  });
}

/** Runs the binary and sends it `signal` once its stderr has shown `ready`. */
function runAndSignal(
  args: string[],
  cwd: string,
  ready: RegExp,
  signal: NodeJS.Signals,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { NO_COLOR: "1", PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (!sent && ready.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code, exitSignal) => {
      clearTimeout(timer);
      resolve({ code, signal: exitSignal, stdout, stderr });
    });
  });
}

describe.concurrent("failing clearly, and fast", () => {
  it("a closed --base-url stops within seconds, resumable (exit 3), naming the URL and the cause; the same command resumes once the server is up", async (test) => {
    const port = await closedPort();
    const cwd = promptsDir(rows(50));
    const args = ["-m", OPENAI, "--base-url", `http://127.0.0.1:${port}/v1`, "--progress", "plain"];
    const first = await runPrompts(cwd, args, KEY);
    expect(first.code, first.stderr).toBe(3);
    expect(first.wallMs).toBeLessThan(20_000);
    expect(first.stderr).toContain(`cannot connect to http://127.0.0.1:${port}/v1 (ECONNREFUSED)`);
    expect(first.stderr).toMatch(/stopped: 50 items · 0 ok · 0 failed · 50 pending/);
    // Plain mode said what went wrong as it happened, with the time.
    expect(first.stderr).toMatch(
      new RegExp(
        `${STAMP.source} connection error, item p\\d+ \\(attempt 1, retrying\\): openai: cannot connect`,
      ),
    );
    expect(first.stdout).toBe("");
    expect(first.stderr).not.toMatch(BUG);

    // The server comes up where the run was pointed: the same command resumes and finishes.
    const server = await startMockServer({ host: "127.0.0.1", port });
    test.onTestFinished(() => server.close());
    const second = await runPrompts(cwd, args, KEY);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("resuming run");
    expect(Object.values(second.results).filter((r) => r.status === "ok")).toHaveLength(50);
  });

  it("a host name that does not resolve stops within seconds, naming it", async () => {
    const cwd = promptsDir(rows(10));
    const run = await runPrompts(cwd, ["-m", OPENAI, "--base-url", "http://nosuch-host.invalid/v1"], KEY);
    expect(run.code, run.stderr).toBe(3);
    expect(run.wallMs).toBeLessThan(20_000);
    expect(run.stderr).toMatch(
      /cannot connect to http:\/\/nosuch-host\.invalid\/v1 \((ENOTFOUND|EAI_AGAIN)\)/,
    );
  });

  it.for(["plain", "bar"])(
    "--progress %s prints each type of error as it happens, naming the endpoint, and the errors by type at the end",
    async (mode, test) => {
      const server = await serve(test);
      const cwd = promptsDir(rows(6, (i) => (i === 2 ? "boom [[fault:500]]" : `prompt ${i}`)));
      const run = await runPrompts(
        cwd,
        ["-m", OPENAI, "--max-attempts", "1", "-c", "1", "--progress", mode],
        providerEnv("openai", server, "sk-clear-0123456789"),
      );
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `${STAMP.source} server error, item p2 \\(attempt 1, failed\\): openai: 500 .*mock fault 500.* \\(${server.url}/v1\\)\\n`,
        ),
      );
      expect(run.stderr).toMatch(/\nmetasync: errors: server 1 failed\n$/);
    },
  );
});

describe.concurrent("crash paths that are no bugs", () => {
  it("mock-server on a port in use: says so, exit 2, no stack", async (test) => {
    const busy = await serve(test);
    const run = await runCli(["mock-server", "--port", String(busy.port)], { cwd: workDir() });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`port ${busy.port} is in use`);
    expect(run.stderr).not.toMatch(BUG);
  });

  it("help, runs, status and report into a reader that went away (| head): quiet, no EPIPE stack", async () => {
    const cwd = promptsDir(rows(3));
    const made = await runCli(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "mock:echo",
        "--run",
        "piped",
        "--state",
        "state.db",
        "--progress",
        "none",
      ],
      { cwd },
    );
    expect(made.code, made.stderr).toBe(0);
    for (const args of [
      ["help", "run"],
      ["--help"],
      ["runs", "--state", "state.db"],
      ["status", "piped", "--state", "state.db"],
      ["report", "piped", "--state", "state.db"],
    ]) {
      const run = await runWithClosedStdout(args, cwd);
      expect(run.stderr, args.join(" ")).not.toMatch(/EPIPE|this is a bug/);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
    }
  });

  it("a row 20,000 levels deep rendered through a template is refused as an input error with its line", async () => {
    const cwd = workDir();
    const deep = `${'{"b":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    writeFileSync(join(cwd, "deep.jsonl"), `{"id":"flat","a":1}\n{"id":"deep","a":${deep}}\n`);
    const run = await runCli(
      ["run", "deep.jsonl", "-m", "mock:echo", "-t", "{{a}}", "--state", "state.db", "--progress", "none"],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('deep.jsonl:2: template field "a" nests more than 1,000 levels deep');
    expect(run.stderr).not.toMatch(/RangeError|this is a bug/);
    expect(run.stdout).toBe("");
  });
});

describe.concurrent("polish", () => {
  it("SIGTERM is not called Ctrl-C in the stopping notice; the run stops gracefully (130)", async () => {
    const cwd = promptsDir(rows(200));
    const run = await runAndSignal(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "mock:echo?latency_ms=100",
        "-c",
        "1",
        "--state",
        "state.db",
        "--progress",
        "plain",
      ],
      cwd,
      /metasync: run /,
      "SIGTERM",
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("metasync: stopping on SIGTERM — waiting for requests in flight");
    expect(run.stderr).not.toContain("Ctrl-C");
  });

  it("--report r.html is refused before sending; report -o r.html never writes Markdown under an .html name", async () => {
    const cwd = promptsDir(rows(2));
    const refused = await runCli(
      ["run", "prompts.jsonl", "-m", "mock:echo", "--run", "r", "--state", "state.db", "--report", "r.html"],
      { cwd },
    );
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe("");
    expect(existsSync(join(cwd, "r.html"))).toBe(false);

    const made = await runCli(
      ["run", "prompts.jsonl", "-m", "mock:echo", "--run", "r", "--state", "state.db", "--progress", "none"],
      { cwd },
    );
    expect(made.code, made.stderr).toBe(0);
    for (const extra of [[], ["--format", "md"], ["--format", "json"]]) {
      const report = await runCli(["report", "r", "--state", "state.db", "-o", "r.html", ...extra], { cwd });
      expect(report.code, report.stderr).toBe(2);
      expect(report.stderr).toMatch(/r\.html: .*(\.md|\.json)/);
      expect(existsSync(join(cwd, "r.html"))).toBe(false);
    }
    const mismatched = await runCli(
      ["report", "r", "--state", "state.db", "-o", "r.json", "--format", "md"],
      {
        cwd,
      },
    );
    expect(mismatched.code, mismatched.stderr).toBe(2);
    expect(existsSync(join(cwd, "r.json"))).toBe(false);
  });

  it("OPENAI_LOG=debug: the SDK's log goes to stderr, stdout holds only result lines", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir(rows(3));
    const run = await runPrompts(cwd, ["-m", OPENAI], {
      ...providerEnv("openai", server, "sk-clear-0123456789"),
      OPENAI_LOG: "debug",
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ status: "ok" });
    // The log was not lost: it went to stderr, keys masked.
    expect(run.stderr).toContain("sending request");
    expect(run.stderr).not.toContain("sk-clear-0123456789");
  });

  it("amounts print as people write them: --max-cost 0.00000075 is $0.00000075, never 7.5e-7", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir(rows(3));
    const run = await runPrompts(
      cwd,
      ["-m", OPENAI, "--max-cost", "0.00000075"],
      providerEnv("openai", server, "sk-clear-0123456789"),
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain("--max-cost $0.00000075");
    expect(run.stderr).not.toMatch(/\d(\.\d+)?e-\d/);
  });

  it("the report's throughput reads 1,004.7 items/s, not 1004.723", async () => {
    const cwd = promptsDir(rows(2000));
    const run = await runCli(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "mock:echo",
        "-c",
        "200",
        "--run",
        "fast",
        "--state",
        "state.db",
        "--progress",
        "none",
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const report = await runCli(["report", "fast", "--state", "state.db"], { cwd });
    const rate = /\| throughput \| (\S+) items\/s/.exec(report.stdout)?.[1];
    expect(rate, report.stdout).toMatch(/^(\d{1,3}(,\d{3})*(\.\d)?|0\.\d+)$/);
    expect(jsonLines(run.stdout)).toHaveLength(2000);
  });
});
