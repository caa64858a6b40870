import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, ROOT, runCli, workDir } from "./cli.js";
import { keyFingerprint, providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const BIN = join(ROOT, "bin", "metasync.js");
const MODEL = "openai:gpt-4o-mini";
const KEY = "sk-test-trust-features-0123456789";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` prompt rows in `dir/name`, each prompt `size` characters or more; `bad` ids fail with a 400. */
function writePrompts(
  dir: string,
  name: string,
  count: number,
  options: { size?: number; bad?: number[] } = {},
) {
  const rows = Array.from({ length: count }, (_, i) => {
    const fault = options.bad?.includes(i) ? " [[fault:400]]" : "";
    return `${JSON.stringify({ id: `p${i}`, prompt: `${"x".repeat(options.size ?? 0)}prompt ${i}${fault}` })}\n`;
  });
  writeFileSync(join(dir, name), rows.join(""));
}

function spawnBin(args: readonly string[], cwd: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { NO_COLOR: "1", PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
}

const csvRows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

describe("results where a user wants them", () => {
  it("--out-format csv without -o: CSV on stdout, the header first, a row an item; a rerun prints it again", async () => {
    const cwd = workDir();
    const args = [
      "run",
      "fixtures/reviews.csv",
      "-m",
      "mock:echo",
      "-t",
      "Summarize: {{text}}",
      "--out-format",
      "csv",
      "--state",
      "st.db",
      "--progress",
      "none",
    ];
    const first = await runCli(args, { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split("\n")[0]).toBe(
      "id,product,text,output,status,error,model,input_tokens,output_tokens,cost_usd,latency_ms,attempts",
    );
    const rows = csvRows(first.stdout);
    expect(rows.map((row) => row.id).sort()).toEqual(["r1", "r2", "r3", "r4"]);
    for (const row of rows) {
      expect(row.status).toBe("ok");
      expect(row.output).toBe(`Summarize: ${row.text}`);
    }
    // A finished run rerun prints its results again, header first.
    const again = await runCli(args, { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(csvRows(again.stdout)).toEqual(csvRows(first.stdout));
  });

  it("export -o - writes to stdout; --failed keeps only the failed items, in JSONL or CSV", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 6, { bad: [1, 4] });
    const run = await runCli(
      [
        "run",
        "in.jsonl",
        "-m",
        MODEL,
        "--run",
        "six",
        "--state",
        "st.db",
        "--progress",
        "none",
        "-o",
        "out.jsonl",
      ],
      { cwd, env },
    );
    expect(run.code, run.stderr).toBe(1);

    const all = await runCli(["export", "six", "-o", "-", "--state", "st.db"], { cwd });
    expect(all.code, all.stderr).toBe(0);
    expect(jsonLines(all.stdout).map((line) => line.id)).toEqual(["p0", "p1", "p2", "p3", "p4", "p5"]);

    const failed = await runCli(["export", "six", "-o", "-", "--failed", "--state", "st.db"], { cwd });
    expect(failed.code, failed.stderr).toBe(0);
    const lines = jsonLines(failed.stdout);
    expect(lines.map((line) => line.id)).toEqual(["p1", "p4"]);
    for (const line of lines) expect(line).toMatchObject({ status: "error", error: { type: "bad_request" } });

    const csv = await runCli(
      ["export", "six", "-o", "-", "--failed", "--format", "csv", "--state", "st.db"],
      {
        cwd,
      },
    );
    expect(csv.code, csv.stderr).toBe(0);
    expect(csvRows(csv.stdout).map((row) => [row.id, row.status])).toEqual([
      ["p1", "error"],
      ["p4", "error"],
    ]);

    // To a file, --failed too.
    const file = await runCli(["export", "six", "-o", "failed.jsonl", "--failed", "--state", "st.db"], {
      cwd,
    });
    expect(file.code, file.stderr).toBe(0);
    expect(jsonLines(readFileSync(join(cwd, "failed.jsonl"), "utf8")).map((line) => line.id)).toEqual([
      "p1",
      "p4",
    ]);
  });

  it("--json: runs, status and --dry-run print documented JSON on stdout", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    const base = ["in.jsonl", "-m", "openai:gpt-4o-mini", "--max-tokens", "50", "--state", "st.db"];
    const dry = await runCli(["run", ...base, "--dry-run", "--json"], { cwd, env: { OPENAI_API_KEY: KEY } });
    expect(dry.code, dry.stderr).toBe(0);
    const estimate = JSON.parse(dry.stdout) as Record<string, unknown>;
    expect(estimate).toMatchObject({
      dry_run: true,
      requests: 5,
      max_output_tokens: 250,
      cost_usd: { min: expect.any(Number), expected: expect.any(Number), max: expect.any(Number) },
      by_model: [{ model: "openai:gpt-4o-mini", requests: 5 }],
      duration_s: expect.any(Number),
      paced_by: expect.any(String),
    });
    expect(estimate.prompt_tokens).toBeGreaterThan(0);
    // --json belongs to the dry run.
    const misplaced = await runCli(["run", ...base, "--json"], { cwd });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("--json goes with --dry-run");

    const run = await runCli(["run", "in.jsonl", "-m", "mock:echo", "--run", "five", "--state", "st.db"], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    const runs = await runCli(["runs", "--json", "--state", "st.db"], { cwd });
    expect(runs.code, runs.stderr).toBe(0);
    const list = JSON.parse(runs.stdout) as Record<string, unknown>[];
    expect(list).toEqual([
      expect.objectContaining({
        run_id: expect.stringMatching(/^five-/),
        name: "five",
        status: "finished",
        items: { total: 5, ok: 5, failed: 0, pending: 0 },
        model: "mock:echo",
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
    const status = await runCli(["status", "five", "--json", "--state", "st.db"], { cwd });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      run_id: list[0]?.run_id,
      status: "finished",
      items: { total: 5, ok: 5 },
      cost_usd: 0,
      errors: [],
      process: null,
      rate: null,
      eta_s: null,
    });
  });
});

describe("status of a running run", () => {
  it("shows its process (host, pid), its rate and an ETA; finished, none of them", async (test) => {
    // 2 at a time, 100 ms each, under a 600 RPM budget: about 8 s for 80 items.
    const server = await serve(test, { latencyMs: 100 });
    const env = providerEnv("openai", server, KEY);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 80);
    const child = spawnBin(
      [
        "run",
        "in.jsonl",
        "-m",
        MODEL,
        "-c",
        "2",
        "--rpm",
        "600",
        "--state",
        "st.db",
        "--progress",
        "none",
        "-o",
        "o.jsonl",
      ],
      cwd,
      env,
    );
    let ended = false;
    const done = exited(child).finally(() => {
      ended = true;
    });
    let running: Record<string, unknown> | undefined;
    while (!running && !ended) {
      await sleep(200);
      const status = await runCli(["status", "in", "--json", "--state", "st.db"], { cwd });
      if (status.code !== 0) continue; // not ingested yet
      const parsed = JSON.parse(status.stdout) as Record<string, unknown>;
      const rate = parsed.rate as { items_per_min: number | null } | null;
      if (parsed.status === "running" && rate?.items_per_min && (parsed.items as { ok: number }).ok >= 10) {
        running = parsed;
      }
    }
    expect(running, "status never showed the run running with a rate").toBeDefined();
    const shown = running as {
      process: unknown;
      rate: { items_per_min: number };
      items: { pending: number };
      eta_s: number;
    };
    expect(shown.process).toMatchObject({ host: hostname(), pid: child.pid });
    // 2 in flight, about 100 ms each, at most 600 a minute.
    expect(shown.rate.items_per_min).toBeGreaterThan(200);
    expect(shown.rate.items_per_min).toBeLessThan(1300);
    expect(shown.eta_s).toBeCloseTo((shown.items.pending / shown.rate.items_per_min) * 60, -1);

    const text = await runCli(["status", "in", "--state", "st.db"], { cwd });
    if (text.stdout.includes("status    running")) {
      expect(text.stdout).toMatch(new RegExp(`process   pid ${child.pid} on ${hostname()}`));
      expect(text.stdout).toMatch(/rate {6}[\d,]+ items\/min over the last/);
      expect(text.stdout).toMatch(/eta {7}/);
    }
    expect((await done).code).toBe(0);
    const finished = await runCli(["status", "in", "--json", "--state", "st.db"], { cwd });
    expect(JSON.parse(finished.stdout)).toMatchObject({ status: "finished", process: null, rate: null });
  });
});

describe("rerunning", () => {
  it("a finished run with failures: says how many failed and how to send them again; replayed lines say cached", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 4, { bad: [2] });
    const args = ["run", "in.jsonl", "-m", MODEL, "--state", "st.db", "--progress", "plain"];
    const first = await runCli(args, { cwd, env });
    expect(first.code, first.stderr).toBe(1);
    expect(jsonLines(first.stdout).every((line) => line.cached === undefined)).toBe(true);
    const sent = server.stats().requests;

    const again = await runCli(args, { cwd, env });
    expect(again.code, again.stderr).toBe(1);
    expect(server.stats().requests).toBe(sent);
    expect(again.stderr).toContain("1 failed earlier; --retry-failed to send them again");
    const replayed = jsonLines(again.stdout);
    expect(replayed.map((line) => line.id).sort()).toEqual(["p0", "p1", "p2", "p3"]);
    for (const line of replayed) expect(line.cached).toBe(true);
  });

  it("--fresh says when the response cache answered its items, and --no-cache sends them", async (test) => {
    const server = await serve(test);
    const env = providerEnv("openai", server, KEY);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 3);
    const args = ["run", "in.jsonl", "-m", MODEL, "--state", "st.db", "--progress", "plain"];
    expect((await runCli(args, { cwd, env })).code).toBe(0);
    const sent = server.stats().requests;

    const fresh = await runCli([...args, "--fresh"], { cwd, env });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(server.stats().requests).toBe(sent);
    expect(fresh.stderr).toMatch(
      /--fresh started a new run, but 3 of its 3 items were answered from the response cache/,
    );
    expect(fresh.stderr).toContain("--no-cache");

    const uncached = await runCli([...args, "--fresh", "--no-cache"], { cwd, env });
    expect(uncached.code, uncached.stderr).toBe(0);
    expect(server.stats().requests).toBe(sent + 3);
    expect(uncached.stderr).not.toMatch(/response cache/);
  });
});

describe("metasync prune", () => {
  it("deletes finished runs (by age, or all), never an unfinished one, and gives the room back", async () => {
    const cwd = workDir();
    const state = ["--state", "st.db"];
    for (const name of ["a", "b", "c"]) {
      writePrompts(cwd, `${name}.jsonl`, 1000, { size: 500 });
      const run = await runCli(
        ["run", `${name}.jsonl`, "-m", "mock:echo", ...state, "-o", `${name}.out.jsonl`],
        {
          cwd,
        },
      );
      expect(run.code, run.stderr).toBe(0);
    }
    // An unfinished run: interrupted half way.
    writePrompts(cwd, "slow.jsonl", 400);
    const slow = await runCli(
      [
        "run",
        "slow.jsonl",
        "-m",
        "mock:echo?latency_ms=20",
        "-c",
        "2",
        ...state,
        "--progress",
        "none",
        "-o",
        "s.jsonl",
      ],
      { cwd, killAfter: { signal: "SIGINT", ms: 1500 } },
    );
    expect(slow.code, slow.stderr).toBe(130);

    const refused = await runCli(["prune", ...state], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--older-than .*--all-finished/);

    const young = await runCli(["prune", "--older-than", "7d", ...state], { cwd });
    expect(young.code, young.stderr).toBe(0);
    expect(young.stdout).toMatch(/^nothing to prune: no run finished more than 7d ago/);

    const dry = await runCli(["prune", "--all-finished", "--dry-run", ...state], { cwd });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would prune 3 runs \(3,000 items\)/);
    const runsOf = async () =>
      (JSON.parse((await runCli(["runs", "--json", ...state], { cwd })).stdout) as { status: string }[]).map(
        (run) => run.status,
      );
    expect((await runsOf()).sort()).toEqual(["finished", "finished", "finished", "unfinished"]);

    const before = statSync(join(cwd, "st.db")).size;
    const pruned = await runCli(["prune", "--all-finished", ...state], { cwd });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(
      /^pruned 3 runs \(3,000 items\) and [\d,]+ cached answers? no other run uses; .*freed\)/,
    );
    expect(await runsOf()).toEqual(["unfinished"]);
    expect(statSync(join(cwd, "st.db")).size).toBeLessThan(before / 3);
    // The unfinished run still resumes.
    const resumed = await runCli(
      ["run", "slow.jsonl", "-m", "mock:echo?latency_ms=20", "-c", "8", ...state, "-o", "s.jsonl"],
      {
        cwd,
      },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run/);
  });
});

describe("a package a user can install", () => {
  it("is metasync-cli on npm, with the metasync binary; npm install -g . from the clone puts it on the PATH", async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      name: string;
      version: string;
      bin: Record<string, string>;
    };
    expect(manifest.name).toBe("metasync-cli");
    expect(manifest.bin).toEqual({ metasync: "bin/metasync.js" });
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      name: string;
      packages: Record<string, { name?: string }>;
    };
    expect([lock.name, lock.packages[""]?.name]).toEqual(["metasync-cli", "metasync-cli"]);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("npm install -g .");

    const prefix = mkdtempSync(join(tmpdir(), "metasync-global-"));
    const npm = (args: string[], cwd: string) =>
      runCliLike("npm", args, cwd, { npm_config_prefix: prefix, npm_config_update_notifier: "false" });
    const install = await npm(
      ["install", "-g", ".", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
      ROOT,
    );
    expect(install.code, install.stderr).toBe(0);
    const installed = await runCliLike(join(prefix, "bin", "metasync"), ["--version"], tmpdir());
    expect(installed.stdout).toBe(`${manifest.version}\n`);
    // In the clone, npx finds the binary by its name, as the README's examples use it.
    const npx = await runCliLike("npx", ["--no-install", "metasync", "--version"], ROOT);
    expect(npx.stdout).toBe(`${manifest.version}\n`);
  });
});

/** Runs a program other than metasync's binary (npm, npx, an installed copy). */
function runCliLike(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("mock-server", () => {
  it("lists models in either API's shape, logs each request with -v, and a strict 429 carries true headers", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "metasync-mock-"));
    const child = spawnBin(["mock-server", "--port", "0", "--strict", "--rpm", "60", "-v"], cwd);
    const stopped = exited(child);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    try {
      for (let tries = 0; tries < 100 && !/listening on http/.test(stderr); tries++) await sleep(50);
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      expect(url, stderr).toBeDefined();

      const openai = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(openai.status).toBe(200);
      const openaiList = (await openai.json()) as { object: string; data: { id: string; object: string }[] };
      expect(openaiList.object).toBe("list");
      expect(openaiList.data).toContainEqual(expect.objectContaining({ id: "gpt-4o-mini", object: "model" }));

      const anthropic = await fetch(`${url}/v1/models`, {
        headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      });
      expect(anthropic.status).toBe(200);
      const page = (await anthropic.json()) as { data: { type: string; id: string }[]; has_more: boolean };
      expect(page.has_more).toBe(false);
      expect(page.data).toContainEqual(expect.objectContaining({ type: "model", id: "claude-haiku-4-5" }));

      const noKey = await fetch(`${url}/v1/models`);
      expect(noKey.status).toBe(401);

      const post = () =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
        });
      expect((await post()).status).toBe(200);
      const limited = await post();
      expect(limited.status).toBe(429);
      // One a second is allowed: nothing is left until that second is over, whatever the minute says.
      expect(limited.headers.get("x-ratelimit-limit-requests")).toBe("60");
      expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("0");
      const reset = limited.headers.get("x-ratelimit-reset-requests") ?? "";
      const resetMs = reset.endsWith("ms") ? Number.parseFloat(reset) : Number.parseFloat(reset) * 1000;
      expect(resetMs).toBeGreaterThan(0);
      expect(resetMs).toBeLessThanOrEqual(1000);
      expect(Number(limited.headers.get("retry-after-ms"))).toBeLessThanOrEqual(1000);

      await sleep(100);
      const log = stderr.split("\n").filter((line) => / (GET|POST) \//.test(line));
      const fp = keyFingerprint(KEY);
      expect(log).toEqual([
        expect.stringMatching(
          new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z GET /v1/models key=${fp} 200 \\d+ ms$`),
        ),
        expect.stringMatching(new RegExp(`GET /v1/models key=${fp} 200 \\d+ ms$`)),
        expect.stringMatching(/GET \/v1\/models key=none 401 \d+ ms$/),
        expect.stringMatching(new RegExp(`POST /v1/chat/completions key=${fp} 200 \\d+ ms$`)),
        expect.stringMatching(new RegExp(`POST /v1/chat/completions key=${fp} 429 \\d+ ms$`)),
      ]);
      expect(stderr).not.toContain(KEY);
    } finally {
      child.kill("SIGTERM");
      await stopped;
    }
  });
});
