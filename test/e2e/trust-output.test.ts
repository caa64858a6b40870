import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, ROOT, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const BIN = join(ROOT, "bin", "metasync.js");

/** `count` prompt rows, each `size` characters long, in `dir/name`. */
function writePrompts(dir: string, name: string, count: number, size = 20): void {
  const rows = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `p${i}`, prompt: `${"x".repeat(size)} ${i}` }),
  );
  writeFileSync(join(dir, name), `${rows.join("\n")}\n`);
}

/** The ids of the complete JSON lines in `text` (a line cut off by a kill has no newline yet). */
function idsOf(text: string): string[] {
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  return jsonLines(complete).map((line) => String(line.id));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
}

function spawnRun(args: readonly string[], cwd: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, "run", ...args], {
    cwd,
    env: { NO_COLOR: "1", PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("results on stdout are printed at least once", () => {
  it("a reader that does not keep up, then kill -9: the resume prints every line the reader never got", async () => {
    const cwd = workDir();
    // Lines of about 1 kB, far more than a pipe holds: most wait in the process for the reader.
    writePrompts(cwd, "in.jsonl", 3000, 1000);
    const args = ["in.jsonl", "-m", "mock:echo?latency_ms=20", "-c", "16", "--state", "st.db"];
    const child = spawnRun([...args, "--progress", "json"], cwd);
    child.stdout?.pause();
    const done = exited(child);
    // Killed mid-run, at its first progress line (about a second in).
    await new Promise<void>((resolve) => {
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        if (/"type":"progress"[^\n]*"done":[1-9]/.test(chunk)) resolve();
      });
    });
    child.kill("SIGKILL");
    // What was handed to the pipe before the kill still reaches the reader.
    let received = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    child.stdout?.resume();
    expect((await done).signal).toBe("SIGKILL");

    const resumed = await runCli(["run", ...args, "--progress", "none"], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/finished earlier/);
    const seen = new Set([...idsOf(received), ...idsOf(resumed.stdout)]);
    const missing = Array.from({ length: 3000 }, (_, i) => `p${i}`).filter((id) => !seen.has(id));
    expect(missing, `${missing.length} results never reached stdout`).toEqual([]);
  });

  it("a reader that goes away (| head -5): the resume prints every line it did not read", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 200);
    // Answers come in groups of 4 every 40 ms: the pipe is empty when the reader leaves.
    const args = [
      "in.jsonl",
      "-m",
      "mock:echo?latency_ms=40",
      "-c",
      "4",
      "--state",
      "st.db",
      "--progress",
      "none",
    ];
    const child = spawnRun(args, cwd);
    const done = exited(child);
    let received = "";
    await new Promise<void>((resolve) => {
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        received += chunk;
        if (idsOf(received).length >= 5) {
          child.stdout?.destroy();
          resolve();
        }
      });
    });
    const first = await done;
    expect(first.code).toBe(130);
    const read = idsOf(received);
    expect(read.length).toBeLessThan(200);

    const resumed = await runCli(["run", ...args], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = idsOf(resumed.stdout);
    const seen = new Set([...read, ...again]);
    const missing = Array.from({ length: 200 }, (_, i) => `p${i}`).filter((id) => !seen.has(id));
    expect(missing, `${missing.length} results never printed`).toEqual([]);
    // Lines the reader got are not printed again.
    expect(again.filter((id) => read.includes(id))).toEqual([]);
  });
});

describe("an output never overwrites the input or the state database", () => {
  it.each([
    ["-o the input", ["-o", "in.jsonl"]],
    ["-o ./the input", ["-o", "./in.jsonl"]],
    ["-o a symbolic link to the input", ["-o", "link.jsonl"]],
    ["-o a hard link to the input", ["-o", "hard.jsonl"]],
    ["--report the input", ["--report", "in.json"], "in.json"],
  ])(
    "%s: refused before anything is sent, exit 2, the input unchanged",
    async (_name, flags, input = "in.jsonl") => {
      const cwd = workDir();
      writePrompts(cwd, input, 5);
      symlinkSync(input, join(cwd, "link.jsonl"));
      if (input === "in.jsonl") linkSync(join(cwd, input), join(cwd, "hard.jsonl"));
      const before = readFileSync(join(cwd, input));
      const result = await runCli(
        ["run", input, "--format", "jsonl", "-m", "mock:echo", "--state", "st.db", ...flags],
        { cwd },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(`(-o|--report) \\S+ is the same file as the input \\S*${input.replace(".", "\\.")}`),
      );
      expect(readFileSync(join(cwd, input))).toEqual(before);
      expect(existsSync(join(cwd, "st.db")), "the state database was opened").toBe(false);
    },
  );

  it("--report or -o the state database: refused, exit 2, the database intact", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    const env = providerEnv("openai", server, "sk-test");
    const args = [
      "run",
      "in.jsonl",
      "-m",
      "openai:gpt-4o-mini",
      "--state",
      "state.json",
      "--progress",
      "none",
    ];
    expect((await runCli(args, { cwd, env })).code).toBe(0);
    const database = readFileSync(join(cwd, "state.json"));
    const sent = server.stats().requests;

    const report = await runCli([...args, "--fresh", "--report", "state.json"], { cwd, env });
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(
      /--report \S+state\.json is the same file as the state database \S+state\.json/,
    );
    const out = await runCli(
      [...args, "--fresh", "-o", "./state.json.jsonl", "--state", "state.json.jsonl"],
      {
        cwd,
        env,
      },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/-o \S+ is the same file as the state database/);
    expect(readFileSync(join(cwd, "state.json"))).toEqual(database);
    expect(server.stats().requests).toBe(sent);
  });
});

describe("every output path is checked before anything is sent", () => {
  it.for([
    [
      "--report into a missing directory",
      ["--report", "missing/r.json"],
      /cannot write the report: no such directory/,
    ],
    ["--report with an unknown extension", ["--report", "r.txt"], /the report must end in \.json or \.md/],
    ["-o naming a directory", ["-o", "dir.jsonl"], /cannot write the results file: it is a directory/],
    [
      "-o into a missing directory",
      ["-o", "missing/out.jsonl"],
      /cannot write the results file: no such directory/,
    ],
    [
      "-o inside a file",
      ["-o", "file.jsonl/out.jsonl"],
      /cannot write the results file: \S+file\.jsonl is not a directory/,
    ],
  ] as const)("%s: exit 2, nothing sent", async ([, flags, message], test) => {
    const server = await serve(test);
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    mkdirSync(join(cwd, "dir.jsonl"));
    writeFileSync(join(cwd, "file.jsonl"), "");
    const result = await runCli(
      ["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--state", "st.db", "--progress", "none", ...flags],
      { cwd, env: providerEnv("openai", server, "sk-test") },
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(server.stats().requests).toBe(0);
  });

  it("a results directory removed while the run sends: exit 3, the results safe, export writes them", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 20);
    mkdirSync(join(cwd, "out"));
    const args = [
      "in.jsonl",
      "-m",
      "mock:echo?latency_ms=100",
      "-c",
      "2",
      "--state",
      "st.db",
      "--progress",
      "json",
    ];
    const child = spawnRun([...args, "-o", "out/results.jsonl", "--report", "out/report.md"], cwd);
    let stderr = "";
    let sending: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      sending = resolve;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      // The output paths were checked before the start: removed from now on, it is mid-run.
      if (stderr.includes('"type":"start"')) sending();
    });
    const done = exited(child);
    await started;
    rmSync(join(cwd, "out"), { recursive: true });
    expect((await done).code, stderr).toBe(3);
    const run = /`metasync export (\S+) --state st\.db -o <file>` writes them/.exec(stderr)?.[1];
    expect(stderr).toMatch(/out\/results\.jsonl: cannot write the results file: no such directory/);
    expect(stderr).toMatch(/the results are safe in the state database/);
    expect(stderr).toMatch(/out\/report\.md: cannot write the report: no such directory/);
    expect(stderr).toMatch(/`metasync report \S+ --state st\.db -o <file>` writes the report/);
    expect(run).toMatch(/^in-[0-9a-f]{8}$/);

    const exported = await runCli(["export", run as string, "--state", "st.db", "-o", "results.jsonl"], {
      cwd,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const results = jsonLines(readFileSync(join(cwd, "results.jsonl"), "utf8"));
    expect(results).toHaveLength(20);
    expect(results.every((r) => r.status === "ok")).toBe(true);
  });

  it("refused for a missing key or a bad key file: no run and no items left behind", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    writeFileSync(join(cwd, "keys.yaml"), "keys:\n  - provider: openai\n    key: env:NOT_SET\n");
    const base = ["run", "in.jsonl", "-m", "openai:gpt-4o-mini", "--state", "st.db", "--progress", "none"];
    const noKey = await runCli(base, { cwd });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no API key for openai/);
    const badKeys = await runCli([...base, "--keys", "keys.yaml"], { cwd });
    expect(badKeys.code).toBe(2);
    const runs = await runCli(["runs", "--state", "st.db"], { cwd });
    expect(runs.stdout).toBe("no runs yet\n");
    expect(countRows(join(cwd, "st.db"), "items")).toBe(0);
  });
});

describe("a full disk (a 1 MB tmpfs; skipped where one cannot be mounted)", () => {
  let disk: string | undefined;
  beforeAll(() => {
    disk = tinyDisk();
  });
  afterAll(() => {
    if (disk !== undefined) spawnSync("umount", [disk]);
  });

  it("after sending: exit 3, the results safe in the state database", async (test) => {
    if (disk === undefined) return test.skip();
    const mount = disk;
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 300, 500);
    fill(mount);
    try {
      const result = await runCli(
        ["run", "in.jsonl", "-m", "mock:echo", "--state", "st.db", "-o", join(mount, "out.jsonl")],
        { cwd },
      );
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/out\.jsonl: cannot write the results file: the disk is full/);
      expect(result.stderr).toMatch(/`metasync export in-[0-9a-f]{8} --state st\.db -o <file>` writes them/);
      expect(readdirSync(mount)).toEqual(["filler"]);
    } finally {
      rmSync(join(mount, "filler"), { force: true });
    }
  });

  it("during ingest: exit 2, and nothing of the run stays once there is room", async (test) => {
    if (disk === undefined) return test.skip();
    const mount = disk;
    const cwd = workDir();
    writePrompts(cwd, "big.jsonl", 3000, 500);
    writePrompts(cwd, "small.jsonl", 3);
    const state = join(mount, "st.db");
    fill(mount, 700);
    try {
      const full = await runCli(
        ["run", "big.jsonl", "-m", "mock:echo", "--state", state, "-o", "out.jsonl"],
        {
          cwd,
        },
      );
      expect(full.code).toBe(2);
      expect(full.stderr).toMatch(/cannot be written: the disk is full/);
      expect(existsSync(join(cwd, "out.jsonl"))).toBe(false);
    } finally {
      rmSync(join(mount, "filler"), { force: true });
    }
    const next = await runCli(
      ["run", "small.jsonl", "-m", "mock:echo", "--state", state, "-o", "out.jsonl"],
      {
        cwd,
      },
    );
    expect(next.code, next.stderr).toBe(0);
    expect(countRows(state, "items")).toBe(3);
    expect(countRows(state, "runs")).toBe(1);
    rmSync(state);
    rmSync(`${state}-wal`, { force: true });
    rmSync(`${state}-shm`, { force: true });
  });
});

describe("rewriting a results file", () => {
  it("keeps its mode: a 0600 results file or report stays 0600", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    for (const name of ["out.jsonl", "report.json"]) {
      writeFileSync(join(cwd, name), "private\n");
      chmodSync(join(cwd, name), 0o600);
    }
    const result = await runCli(
      [
        "run",
        "in.jsonl",
        "-m",
        "mock:echo",
        "--state",
        "st.db",
        "-o",
        "out.jsonl",
        "--report",
        "report.json",
      ],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"))).toHaveLength(5);
    expect(statSync(join(cwd, "out.jsonl")).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, "report.json")).mode & 0o777).toBe(0o600);
  });

  it("removes the temporary files a process killed mid-write left beside it", async () => {
    const cwd = workDir();
    writePrompts(cwd, "in.jsonl", 5);
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    const orphans = [".out.jsonl.0badf00d.tmp", `.out.jsonl.${gone}-5eed5eed.tmp`];
    for (const name of orphans) writeFileSync(join(cwd, name), '{"id":"half a li');
    // Another file's temporary file, and one of a process still running, are left alone.
    const kept = [".other.jsonl.0badf00d.tmp", `.out.jsonl.${process.pid}-0badf00d.tmp`];
    for (const name of kept) writeFileSync(join(cwd, name), "");
    const result = await runCli(
      ["run", "in.jsonl", "-m", "mock:echo", "--state", "st.db", "-o", "out.jsonl"],
      {
        cwd,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const left = readdirSync(cwd).filter((name) => name.endsWith(".tmp"));
    expect(left.sort()).toEqual([...kept].sort());
  });
});

describe("CSV results and spreadsheet formulas", () => {
  const payloads = [
    "=1+2",
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(A1)",
    "\t=cmd",
    "\r=cmd",
    '=HYPERLINK("http://x","y")',
  ];
  const csv = `id,text\n${payloads.map((p, i) => `r${i},"${p.replace(/"/g, '""')}"`).join("\n")}\n`;

  function cells(cwd: string): { input: string[][]; output: string[] } {
    const rows = parse(readFileSync(join(cwd, "out.csv")), { relaxQuotes: false }) as string[][];
    const [header = [], ...body] = rows;
    return {
      input: body.map((row) => row.slice(0, 2)),
      output: body.map((row) => row[header.indexOf("output")] ?? ""),
    };
  }

  it("an answer that starts like a formula is written with a leading '; input columns byte for byte", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), csv);
    const result = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-t", "{{text}}", "--state", "st.db", "-o", "out.csv"],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const { input, output } = cells(cwd);
    expect(input).toEqual(payloads.map((p, i) => [`r${i}`, p]));
    expect(output).toEqual(payloads.map((p) => `'${p}`));
  });

  it("--csv-formulas (or csv_formulas in a recipe) writes them as they are", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), csv);
    const flag = await runCli(
      [
        "run",
        "in.csv",
        "-m",
        "mock:echo",
        "-t",
        "{{text}}",
        "--state",
        "st.db",
        "-o",
        "out.csv",
        "--csv-formulas",
      ],
      { cwd },
    );
    expect(flag.code, flag.stderr).toBe(0);
    expect(cells(cwd).output).toEqual(payloads);

    rmSync(join(cwd, "out.csv"));
    writeFileSync(join(cwd, "recipe.yaml"), "template: '{{text}}'\ncsv_formulas: true\n");
    const recipe = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-r", "recipe.yaml", "--state", "st2.db", "-o", "out.csv"],
      { cwd },
    );
    expect(recipe.code, recipe.stderr).toBe(0);
    expect(cells(cwd).output).toEqual(payloads);
  });
});

/** Rows of `table` in a state database, read by another process as a user's tool would. */
function countRows(database: string, table: string): number {
  const script = `const D = require("better-sqlite3"); const db = new D(process.argv[1], { readonly: true });
    process.stdout.write(String(db.prepare("SELECT count(*) AS n FROM ${table}").get().n));`;
  return Number(execFileSync(process.execPath, ["-e", script, database], { cwd: ROOT, encoding: "utf8" }));
}

/** A 1 MB tmpfs (unmounted by the caller); undefined where one cannot be mounted (not root, not Linux). */
function tinyDisk(): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const dir = join(workDir(), "disk");
  mkdirSync(dir);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
  return mounted.status === 0 ? dir : undefined;
}

/** Fills the disk at `mount` up to `kb` kilobytes (all of it by default). */
function fill(mount: string, kb = 1024): void {
  spawnSync("dd", ["if=/dev/zero", `of=${join(mount, "filler")}`, "bs=1k", `count=${kb}`]);
}
