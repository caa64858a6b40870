import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { MockServer } from "../../src/mock-server/index.js";
import { assertBuilt, ROOT, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const MODEL = "openai:gpt-4o-mini";
const KEY = "sk-test-trust-state-0123456789";

/** `count` prompt rows as JSONL text; `label` makes another input with other requests. */
function prompts(count: number, label = "prompt"): string {
  return Array.from(
    { length: count },
    (_, i) => `${JSON.stringify({ id: `p${i}`, prompt: `${label} ${i}` })}\n`,
  ).join("");
}

/** Requests the server answered with 200: what a real provider would have charged for. */
const answered = (server: MockServer) => server.stats().status_counts["200"] ?? 0;

const LOCKED = /is being processed by another metasync \(pid \d+/;

describe("two processes on one state database", () => {
  it("the same command started twice at once sends one run's worth: the second exits with the locked code", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    // Several trials: the race is between two process startups.
    for (let trial = 0; trial < 3; trial++) {
      const cwd = workDir();
      writeFileSync(join(cwd, "in.jsonl"), prompts(1500, `trial ${trial}`));
      const before = answered(server);
      const args = ["run", "in.jsonl", "-m", MODEL, "-c", "32", "--state", "st.db", "--progress", "none"];
      const [a, b] = await Promise.all([
        runCli([...args, "-o", "a.jsonl"], { cwd, env }),
        runCli([...args, "-o", "b.jsonl"], { cwd, env }),
      ]);
      expect(answered(server) - before, `trial ${trial}: ${a.stderr}\n${b.stderr}`).toBe(1500);
      const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
      expect(winner.code, winner.stderr).toBe(0);
      expect(loser.code, loser.stderr).toBe(2);
      expect(loser.stderr).toMatch(LOCKED);
    }
  });

  it("runs of different inputs started together on a new state database all finish", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    for (let trial = 0; trial < 3; trial++) {
      const cwd = workDir();
      const names = ["a", "b", "c", "d"];
      for (const name of names) writeFileSync(join(cwd, `${name}.jsonl`), prompts(100, name));
      const runs = await Promise.all(
        names.map((name) =>
          runCli(
            [
              "run",
              `${name}.jsonl`,
              "-m",
              MODEL,
              "--state",
              "st.db",
              "--progress",
              "none",
              "-o",
              `${name}.out.jsonl`,
            ],
            { cwd, env },
          ),
        ),
      );
      for (const run of runs) {
        expect(run.stderr).not.toMatch(/already exists|locked|SQLITE_BUSY/);
        expect(run.code, run.stderr).toBe(0);
      }
    }
  });
});

/** Starts `metasync run`, and kills it with SIGKILL once the server has answered `afterAnswers` more requests. */
async function killMidRun(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  server: MockServer,
  afterAnswers: number,
) {
  const target = answered(server) + afterAnswers;
  const child = spawn(process.execPath, [join(ROOT, "bin", "metasync.js"), ...args], {
    cwd,
    env: { NO_COLOR: "1", PATH: process.env.PATH ?? "", ...env },
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  const poll = setInterval(() => {
    if (answered(server) >= target) child.kill("SIGKILL");
  }, 1);
  try {
    return await exited;
  } finally {
    clearInterval(poll);
  }
}

describe("a crash", () => {
  it("kill -9 loses only the requests in flight: answers received before it are not paid for again", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    const cwd = workDir();
    const rows = 3000;
    const concurrency = 16;
    writeFileSync(join(cwd, "in.jsonl"), prompts(rows));
    const args = ["run", "in.jsonl", "-m", MODEL, "-c", String(concurrency), "--state", "st.db"];
    const kills = 3;
    for (let kill = 0; kill < kills; kill++) {
      expect(await killMidRun([...args, "-o", "out.jsonl"], cwd, env, server, 400)).toBe("SIGKILL");
    }
    const resumed = await runCli([...args, "-o", "out.jsonl", "--progress", "plain"], { cwd, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    // Each kill may lose the answers to what was in flight (at most `concurrency`), nothing more.
    expect(answered(server) - rows).toBeLessThanOrEqual(kills * concurrency);
  });
});

describe("the endpoint is part of what a run and a cached answer are", () => {
  it("a rehearsal against a mock server, then a rerun at another endpoint (--base-url) sends again", async (test) => {
    const rehearsal = await serve(test);
    const real = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), prompts(20));
    const env = { OPENAI_API_KEY: KEY };
    const args = ["run", "in.jsonl", "-m", MODEL, "--state", "st.db", "-o", "out.jsonl"];

    const first = await runCli([...args, "--base-url", `${rehearsal.url}/v1`], { cwd, env });
    expect(first.code, first.stderr).toBe(0);
    expect(answered(rehearsal)).toBe(20);

    const rerun = await runCli([...args, "--base-url", `${real.url}/v1`], { cwd, env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(answered(real)).toBe(20);
    expect(rerun.stderr).not.toMatch(/response cache/);

    // The same endpoint again: the run is the same run, finished, and nothing is sent.
    const again = await runCli([...args, "--base-url", `${real.url}/v1/`], { cwd, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/finished earlier/);
    expect(answered(real)).toBe(20);
  });

  it("OPENAI_BASE_URL counts too, for the run and for the response cache", async (test) => {
    const rehearsal = await serve(test);
    const real = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), prompts(20));
    writeFileSync(join(cwd, "copy.jsonl"), prompts(20));
    const args = (input: string) => ["run", input, "-m", MODEL, "--state", "st.db", "-o", "out.jsonl"];

    expect((await runCli(args("in.jsonl"), { cwd, env: providerEnv("openai", rehearsal, KEY) })).code).toBe(
      0,
    );
    // Another file with the same requests: a new run, answered from the cache only at the same endpoint.
    const cached = await runCli(args("copy.jsonl"), { cwd, env: providerEnv("openai", rehearsal, KEY) });
    expect(cached.stderr).toMatch(/20 answered from the response cache/);
    expect(answered(rehearsal)).toBe(20);

    const elsewhere = await runCli(args("copy.jsonl"), { cwd, env: providerEnv("openai", real, KEY) });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stderr).not.toMatch(/response cache/);
    expect(answered(real)).toBe(20);
  });

  it("a key pool file's base_url counts: its keys' endpoints are the run's", async (test) => {
    const rehearsal = await serve(test);
    const real = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), prompts(10));
    const pool = (server: MockServer) =>
      `keys:\n  - provider: openai\n    key: ${KEY}\n    base_url: ${server.url}/v1\n`;
    const args = [
      "run",
      "in.jsonl",
      "-m",
      MODEL,
      "--state",
      "st.db",
      "-o",
      "out.jsonl",
      "--keys",
      "keys.yaml",
    ];
    writeFileSync(join(cwd, "keys.yaml"), pool(rehearsal));
    expect((await runCli(args, { cwd })).code).toBe(0);
    writeFileSync(join(cwd, "keys.yaml"), pool(real));
    const rerun = await runCli(args, { cwd });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect([answered(rehearsal), answered(real)]).toEqual([10, 10]);
  });

  it("--run NAME at another endpoint: an unfinished run is refused, naming the endpoint", async (test) => {
    const rehearsal = await serve(test, { latencyMs: 50 });
    const real = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), prompts(200));
    const args = ["run", "in.jsonl", "-m", MODEL, "--state", "st.db", "--run", "nightly", "-c", "2"];
    const env = { OPENAI_API_KEY: KEY };
    const killed = await runCli([...args, "--base-url", `${rehearsal.url}/v1`], {
      cwd,
      env,
      killAfter: { signal: "SIGKILL", ms: 1500 },
    });
    expect(killed.signal).toBe("SIGKILL");
    const refused = await runCli([...args, "--base-url", `${real.url}/v1`], { cwd, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is unfinished and its input changed: the endpoint .* changed/);
    expect(answered(real)).toBe(0);
  });
});

describe("the state database", () => {
  it("is created private: .metasync/ 0700, state.db 0600 (it holds prompts and answers)", async () => {
    const cwd = workDir();
    const run = await runCli(["run", "fixtures/prompts.jsonl", "-m", "mock:echo", "-o", "out.jsonl"], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(join(cwd, ".metasync")).mode & 0o777).toBe(0o700);
    expect(statSync(join(cwd, ".metasync", "state.db")).mode & 0o777).toBe(0o600);
  });
});
