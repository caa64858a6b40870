import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

function prompts(count: number, label = "prompt"): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `p${i}`, prompt: `${label} ${i}` }),
  ).join("\n");
}

/** Results by id from a results file; fails the test on a repeated id. */
function resultsById(path: string): Map<string, Record<string, unknown>> {
  const byId = new Map<string, Record<string, unknown>>();
  for (const line of readFileSync(path, "utf8").trimEnd().split("\n")) {
    const result = JSON.parse(line) as Record<string, unknown>;
    expect(byId.has(result.id as string), `id ${result.id} written twice`).toBe(false);
    byId.set(result.id as string, result);
  }
  return byId;
}

/** Starts the binary, and sends it `signal` once `afterMs` has passed. */
function runAndKill(args: string[], cwd: string, signal: NodeJS.Signals, afterMs: number) {
  return runCli(args, { cwd, killAfter: { signal, ms: afterMs } });
}

const SLOW = "mock:echo?latency_ms=15&jitter_ms=15";

describe("resume after a crash", () => {
  it.each([150, 400, 700])(
    "kill -9 after %i ms, rerun: every item has exactly one correct result",
    async (afterMs) => {
      const dir = workDir();
      writeFileSync(join(dir, "in.jsonl"), prompts(300));
      const args = ["run", "in.jsonl", "-m", SLOW, "-c", "8", "-o", "out.jsonl"];
      const killed = await runAndKill(args, dir, "SIGKILL", afterMs);
      expect(killed.signal).toBe("SIGKILL");

      const resumed = await runCli(args, { cwd: dir });
      expect(resumed.code).toBe(0);
      const results = resultsById(join(dir, "out.jsonl"));
      expect(results.size).toBe(300);
      for (let i = 0; i < 300; i++) {
        const result = results.get(`p${i}`);
        expect(result?.status).toBe("ok");
        expect(result?.output).toBe(`prompt ${i}`);
      }
      // Only what was not committed before the kill is sent again.
      const line = /done: 300 items(?: \((\d+) done before\))? · (\d+) ok/.exec(resumed.stderr);
      expect(line, resumed.stderr).not.toBeNull();
      expect(Number(line?.[1] ?? 0) + Number(line?.[2])).toBe(300);
    },
  );

  it("Ctrl-C stops, exits 130, and the rerun finishes without printing an item twice on stdout", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "in.jsonl"), prompts(200));
    const args = ["run", "in.jsonl", "-m", "mock:echo?latency_ms=20", "-c", "4"];
    // Ctrl-C once a few results are out, however long start-up takes.
    const first = await runCli(args, {
      cwd: dir,
      killWhen: { signal: "SIGINT", when: ({ stdout }) => stdout.split("\n").length > 5 },
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/stopping/);
    const firstIds = first.stdout
      .trimEnd()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).id as string);
    expect(firstIds.length).toBeGreaterThan(0);
    expect(firstIds.length).toBeLessThan(200);

    const second = await runCli(args, { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming run/);
    const secondIds = second.stdout
      .trimEnd()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).id as string);
    const all = [...firstIds, ...secondIds];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(200);
  });
});

describe("two processes", () => {
  it("never work on one run at once: the second is refused while the first runs", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "in.jsonl"), prompts(100));
    const args = ["run", "in.jsonl", "-m", "mock:echo?latency_ms=20", "-c", "2", "-o", "out.jsonl"];
    const first = runCli(args, { cwd: dir });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = await runCli(args, { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/is being processed by another metasync \(pid \d+/);
    const { code } = await first;
    expect(code).toBe(0);
    expect(resultsById(join(dir, "out.jsonl")).size).toBe(100);
  });
});

describe("rerunning", () => {
  it("a finished run rewrites its output from the database and sends nothing", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "in.jsonl"), prompts(20));
    const args = ["run", "in.jsonl", "-m", "mock:echo", "-o", "out.jsonl"];
    expect((await runCli(args, { cwd: dir })).code).toBe(0);
    const before = readFileSync(join(dir, "out.jsonl"), "utf8");
    writeFileSync(join(dir, "out.jsonl"), "clobbered\n");
    const again = await runCli(args, { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/finished earlier/);
    expect(again.stderr).toMatch(/\(20 done before\) · 0 ok/);
    expect(readFileSync(join(dir, "out.jsonl"), "utf8")).toBe(before);
  });

  it("refuses an unfinished run whose input changed, and --fresh starts over", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "in.jsonl"), prompts(200));
    const args = ["run", "in.jsonl", "-m", "mock:echo?latency_ms=20", "-c", "2", "-o", "out.jsonl"];
    // Killed once the run is under way (ingested, sending), however long start-up takes.
    const killed = await runCli(args, {
      cwd: dir,
      killWhen: { signal: "SIGKILL", when: ({ stderr }) => /metasync: run /.test(stderr) },
    });
    expect(killed.signal).toBe("SIGKILL");
    writeFileSync(join(dir, "in.jsonl"), prompts(200, "changed"));

    const refused = await runCli(args, { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is unfinished and its input changed: in\.jsonl has different content/);
    expect(refused.stderr).toMatch(/--fresh/);

    const fresh = await runCli([...args, "--fresh", "-m", "mock:echo"], { cwd: dir });
    expect(fresh.code).toBe(0);
    expect(resultsById(join(dir, "out.jsonl")).get("p7")?.output).toBe("changed 7");
  });

  it("after editing a few rows of a finished run, only the changed rows are sent", async () => {
    const dir = workDir();
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, prompt: `prompt ${i}` }));
    const write = () => writeFileSync(join(dir, "in.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n"));
    write();
    const args = ["run", "in.jsonl", "-m", "mock:echo", "-o", "out.jsonl"];
    expect((await runCli(args, { cwd: dir })).code).toBe(0);
    rows[3] = { id: "p3", prompt: "edited three" };
    rows[40] = { id: "p40", prompt: "edited forty" };
    write();

    const rerun = await runCli(args, { cwd: dir });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(/48 answered from the response cache/);
    expect(rerun.stderr).toMatch(/\(48 done before\) · 2 ok/);
    const results = resultsById(join(dir, "out.jsonl"));
    expect(results.get("p3")?.output).toBe("edited three");
    expect(results.get("p3")?.attempts).toBe(1);
    expect(results.get("p4")).toMatchObject({ output: "prompt 4", cached: true, attempts: 0 });

    const noCache = await runCli([...args, "--fresh", "--no-cache"], { cwd: dir });
    expect(noCache.stderr).not.toMatch(/response cache/);
    expect(noCache.stderr).toMatch(/50 ok/);
  });

  it("--retry-failed sends the failed items again", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "in.jsonl"), prompts(30));
    const failing = [
      "run",
      "in.jsonl",
      "-m",
      "mock:echo?fail_rate=0.5&fail_type=bad_request&seed=3",
      "-o",
      "out.jsonl",
      "--run",
      "flaky",
    ];
    const first = await runCli(failing, { cwd: dir });
    expect(first.code).toBe(1);
    const failed = [...resultsById(join(dir, "out.jsonl")).values()].filter(
      (r) => r.status === "error",
    ).length;
    expect(failed).toBeGreaterThan(0);

    const retried = await runCli(
      [
        "run",
        "in.jsonl",
        "-m",
        "mock:echo?fail_rate=0.5&fail_type=bad_request&seed=3",
        "-o",
        "out.jsonl",
        "--run",
        "flaky",
        "--retry-failed",
      ],
      { cwd: dir },
    );
    expect(retried.stderr).toMatch(new RegExp(`${failed} failed items queued again`));
    expect(retried.stderr).toMatch(new RegExp(`\\(${30 - failed} done before\\)`));
  });
});

describe("runs, status and export", () => {
  it("list the run, show its totals and export it as CSV", async () => {
    const dir = workDir();
    expect(
      (
        await runCli(
          ["run", "fixtures/reviews.csv", "-m", "mock:echo", "-t", "Summarize: {{text}}", "--run", "reviews"],
          { cwd: dir },
        )
      ).code,
    ).toBe(0);
    const runs = await runCli(["runs"], { cwd: dir });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/^reviews-[0-9a-f]{8}\s+finished\s+4\/4\s+0\s+mock:echo/m);
    const status = await runCli(["status", "reviews"], { cwd: dir });
    expect(status.stdout).toMatch(/items\s+4 total · 4 ok · 0 failed · 0 pending/);
    const exported = await runCli(["export", "reviews", "-o", "out.csv"], { cwd: dir });
    expect(exported.code).toBe(0);
    expect(readFileSync(join(dir, "out.csv"), "utf8")).toMatch(/^id,product,text,output,status/);
    const batch = await runCli(["export", "reviews", "-o", "batch.jsonl", "--format", "openai-batch"], {
      cwd: dir,
    });
    expect(batch.code).toBe(0);
    const first = JSON.parse(readFileSync(join(dir, "batch.jsonl"), "utf8").split("\n")[0] as string);
    expect(first).toMatchObject({ custom_id: "r1", response: { status_code: 200 }, error: null });
    const missing = await runCli(["status", "nope"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run "nope"/);
  });
});

describe("a state database that cannot be used", () => {
  it("a read-only state directory: a clear error, exit 2, nothing sent", async () => {
    const dir = workDir();
    mkdirSync(join(dir, "ro"));
    chmodSync(join(dir, "ro"), 0o500);
    const result = await runCli(
      ["run", "fixtures/prompts.jsonl", "-m", "mock:echo", "--state", "ro/sub/state.db"],
      { cwd: dir },
    );
    if (process.getuid?.() === 0) {
      // root writes anywhere; a file in the way of the directory fails the same way.
      writeFileSync(join(dir, "blocker"), "");
      const blocked = await runCli(
        ["run", "fixtures/prompts.jsonl", "-m", "mock:echo", "--state", "blocker/state.db"],
        { cwd: dir },
      );
      expect(blocked.code).toBe(2);
      expect(blocked.stderr).toMatch(/state database .*blocker\/state\.db cannot be/);
      expect(blocked.stdout).toBe("");
      return;
    }
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/state database .* cannot be created/);
    expect(result.stdout).toBe("");
  });

  it("a file that is not a database: a clear error, exit 2, the file left alone", async () => {
    const dir = workDir();
    writeFileSync(join(dir, "state.db"), "this is not sqlite ".repeat(100));
    const result = await runCli(["run", "fixtures/prompts.jsonl", "-m", "mock:echo", "--state", "state.db"], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a metasync state database, or it is corrupt/);
    expect(readFileSync(join(dir, "state.db"), "utf8")).toBe("this is not sqlite ".repeat(100));
    expect(existsSync(join(dir, "out.jsonl"))).toBe(false);
  });
});
