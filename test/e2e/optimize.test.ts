import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { optimize } from "./offline-optimize.js";

beforeAll(assertBuilt);

interface History {
  format: string;
  stop_reason: string;
  winner: number;
  inputs: Record<string, string>;
  candidates: {
    id: number;
    parent: number | null;
    decision: string;
    reason: string;
    minibatch: { parent_score: number; score: number | null } | null;
  }[];
  test: {
    baseline: { value: number };
    winner: { value: number };
    gain: { low: number };
    significant: boolean;
  };
  cost: Record<string, { calls: number; cost_usd: number }>;
}

function history(dir: string, name = "best.opt.json"): History {
  return JSON.parse(readFileSync(join(dir, name), "utf8")) as History;
}

function journalFiles(dir: string): string[] {
  const folder = join(dir, ".metasync", "optimize");
  return existsSync(folder) ? readdirSync(folder) : [];
}

describe("metasync optimize", () => {
  it("finds a significant gain on the offline task, and best.yaml runs under metasync run", async () => {
    const dir = workDir();
    const result = await runCli(optimize(["--max-cost", "1"]), { cwd: dir });
    expect(result.stderr).toMatch(/sealed test \(27 rows\): baseline 0\.0% .* → winner/);
    expect(result.code).toBe(0);
    const h = history(dir);
    expect(h.format).toBe("metasync-optimize/1");
    expect(h.test.significant).toBe(true);
    expect(h.test.winner.value).toBeGreaterThan(h.test.baseline.value + 0.3);
    expect(result.stderr).toMatch(/gain \+\d+\.\d pts, 95% interval \[\+/);
    // Acceptance: a child is kept only if strictly better than its parent on its minibatch.
    for (const c of h.candidates) {
      if (c.decision === "best" || c.decision === "kept") {
        expect(c.minibatch?.score).toBeGreaterThan(c.minibatch?.parent_score ?? Number.POSITIVE_INFINITY);
      }
    }
    const best = readFileSync(join(dir, "best.yaml"), "utf8");
    expect(best).toMatch(/^# metasync optimize: reflect on fixtures\/optimize\/tickets\.csv/);
    expect(best).toMatch(/\{\{text\}\}/);

    const run = await runCli(
      ["run", "fixtures/optimize/tickets.csv", "-r", "best.yaml", "-o", "labelled.jsonl"],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(0);
    const labels = new Map(
      readFileSync(join(dir, "fixtures/optimize/tickets.csv"), "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => [line.split(",")[0], line.split(",").at(-1)?.trim()]),
    );
    const answers = jsonLines(readFileSync(join(dir, "labelled.jsonl"), "utf8"));
    const right = answers.filter((a) => a.output === labels.get(a.id as string)).length;
    // The winner's accuracy over the whole dataset, as run sends it: far above the source prompt's 0.
    expect(right / answers.length).toBeGreaterThan(0.4);
  });

  it("never crosses --max-cost: the search stops when the next step does not fit, and the test is still run", async () => {
    const dir = workDir();
    const result = await runCli(optimize(["--max-cost", "0.12", "--patience", "1000"]), { cwd: dir });
    expect(result.code).toBe(0);
    const h = history(dir);
    expect(h.stop_reason).toBe("budget");
    const paid = Number(/paid \$(\d+\.\d+) of --max-cost \$0\.120/.exec(result.stderr)?.[1]);
    expect(paid).toBeGreaterThan(0);
    expect(paid).toBeLessThanOrEqual(0.12);
    const logical = Object.values(h.cost).reduce((sum, role) => sum + role.cost_usd, 0);
    expect(logical).toBeLessThanOrEqual(0.12);
  });

  it("refuses a cap too small for the baseline and the sealed test before sending anything (exit 2)", async () => {
    const dir = workDir();
    const result = await runCli(optimize(["--max-cost", "0.0001"]), { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--max-cost \$0\.00010 is too small: .* the least that would do is \$/);
    expect(
      journalFiles(dir).every(
        (file) => readFileSync(join(dir, ".metasync/optimize", file), "utf8").split("\n").length <= 2,
      ),
    ).toBe(true);
    expect(existsSync(join(dir, "best.yaml"))).toBe(false);
  });

  it("--dry-run prints the least budget for one proposal and what the cap buys, and sends nothing", async () => {
    const dir = workDir();
    const result = await runCli(optimize(["--max-cost", "1", "--dry-run"]), { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/--max-cost that surely buys one proposal: \$\d/);
    expect(result.stderr).toMatch(/--max-cost \$1\.00 buys at least \d+ proposal\(s\) raced and tested/);
    expect(result.stderr).toMatch(/reserved for the sealed test .*: \$\d/);
    expect(journalFiles(dir)).toEqual([]);
    expect(existsSync(join(dir, "best.yaml"))).toBe(false);
  });

  it("kill -9 mid-search, then the same command: it resumes and ends with byte-identical best.yaml and history", async () => {
    const args = optimize(["-m", "mock:instruct?latency_ms=10", "-c", "2", "--progress", "json"]);
    const whole = workDir();
    const complete = await runCli(args, { cwd: whole });
    expect(complete.code).toBe(0);

    const dir = workDir();
    const killed = await runCli(args, {
      cwd: dir,
      killWhen: {
        signal: "SIGKILL",
        when: ({ stderr }) => (stderr.match(/"optimize_step"/g) ?? []).length >= 4,
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(dir, "best.yaml"))).toBe(false);
    const resumed = await runCli(args, { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/"resumed":true/);
    expect(readFileSync(join(dir, "best.yaml"), "utf8")).toBe(readFileSync(join(whole, "best.yaml"), "utf8"));
    expect(readFileSync(join(dir, "best.opt.json"), "utf8")).toBe(
      readFileSync(join(whole, "best.opt.json"), "utf8"),
    );
    // Paid for nothing twice: the resumed run sent fewer task requests than the whole search used.
    const sent = (resumed.stderr.match(/"type":"item_done"/g) ?? []).length;
    expect(sent).toBeLessThan(history(whole).cost.task?.calls ?? 0);
  }, 60_000);

  it("refuses to resume over a changed dataset (exit 2) unless --fresh", async () => {
    const dir = workDir();
    expect((await runCli(optimize(["--patience", "1"]), { cwd: dir })).code).toBe(0);
    const data = join(dir, "fixtures/optimize/tickets.csv");
    writeFileSync(data, readFileSync(data, "utf8").replace("t090,", "t091,"));
    const refused = await runCli(optimize(["--patience", "1"]), { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/started with a different data; rerun with --fresh/);
    const changedScorer = await runCli(optimize(["--patience", "1", "--assert", "icontains:{{label}}"]), {
      cwd: dir,
    });
    expect(changedScorer.code).toBe(2);
    const fresh = await runCli(optimize(["--patience", "1", "--fresh"]), { cwd: dir });
    expect(fresh.code).toBe(0);
  });

  /** The offline task graded by a judge too: mock:grader passes an answer that names the label. */
  const judged = (extra: string[]) =>
    optimize(["--assert", 'llm-rubric:The answer names "{{label}}"', "--grader", "mock:grader", ...extra]);

  it("grades model-graded assertions with eval's judge over the one session, priced under role judge", async () => {
    const dir = workDir();
    const result = await runCli(judged(["--max-cost", "1"]), { cwd: dir });
    expect(result.code).toBe(0);
    const h = history(dir);
    expect(h.test.significant).toBe(true);
    expect(h.cost.judge?.calls).toBeGreaterThan(0);
    expect(h.cost.judge?.cost_usd).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/calls: task \d+ \(rollouts\), proposer \d+, judge [1-9]\d*/);
    expect(result.stderr).toMatch(/dollars: .*judge \$0\.\d*[1-9]/);
    const paid = Number(/paid \$(\d+\.\d+) of --max-cost/.exec(result.stderr)?.[1]);
    expect(paid).toBeLessThanOrEqual(1);
  });

  it("reserves the judge's worst case in the cap: the search stops on budget and the cap is never crossed", async () => {
    const dir = workDir();
    const free = await runCli(judged(["--patience", "1000", "--max-cost", "0.6"]), { cwd: dir });
    expect(free.code).toBe(0);
    expect(history(dir).stop_reason).toBe("budget");
    const paid = Number(/paid \$(\d+\.\d+) of --max-cost \$0\.600/.exec(free.stderr)?.[1]);
    expect(paid).toBeGreaterThan(0);
    expect(paid).toBeLessThanOrEqual(0.6);
    // Without the judge's share the same cap would not have stopped the search this early.
    const plain = workDir();
    await runCli(optimize(["--patience", "1000", "--max-cost", "0.6"]), { cwd: plain });
    expect(history(dir).candidates.length).toBeLessThan(history(plain).candidates.length);
  }, 60_000);

  it("kill -9 while judging, then the same command: judge verdicts are replayed and the artifacts are identical", async () => {
    const args = judged(["-m", "mock:instruct?latency_ms=10", "-c", "2", "--progress", "json"]);
    const whole = workDir();
    expect((await runCli(args, { cwd: whole })).code).toBe(0);
    const dir = workDir();
    const killed = await runCli(args, {
      cwd: dir,
      killWhen: {
        signal: "SIGKILL",
        when: ({ stderr }) => (stderr.match(/"optimize_step"/g) ?? []).length >= 3,
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await runCli(args, { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "best.yaml"), "utf8")).toBe(readFileSync(join(whole, "best.yaml"), "utf8"));
    expect(readFileSync(join(dir, "best.opt.json"), "utf8")).toBe(
      readFileSync(join(whole, "best.opt.json"), "utf8"),
    );
    // Nothing paid twice: the judge calls journaled before the kill are not in the resumed run's spending.
    const journal = readFileSync(join(dir, ".metasync/optimize", journalFiles(dir)[0] as string), "utf8");
    const judgeLines = journal.split("\n").filter((line) => line.includes('"role":"judge"'));
    expect(judgeLines.length).toBe(new Set(judgeLines.map((l) => JSON.parse(l).h)).size);
    expect(judgeLines.length).toBe(history(whole).cost.judge?.calls);
  }, 60_000);

  it("refuses a model-graded assertion without a grader before sending (exit 2)", async () => {
    const dir = workDir();
    const none = await runCli(optimize(["--assert", "llm-rubric:is polite"]), { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--assert: no grader for this model-graded assertion: give --grader/);
    expect(journalFiles(dir)).toEqual([]);
  });

  /** The offline eval config with a judged assertion added to defaultTest (and the judge as its provider). */
  function judgedConfig(dir: string, name: string, assertion: string): string {
    writeFileSync(
      join(dir, "fixtures/optimize", name),
      readFileSync(join(dir, "fixtures/optimize/promptfooconfig.yaml"), "utf8")
        .replace("defaultTest:\n", "defaultTest:\n  options:\n    provider: mock:grader\n")
        .replace('      value: "{{ label }}"\n', `      value: "{{ label }}"\n${assertion}`),
    );
    return `fixtures/optimize/${name}`;
  }

  it("an eval config's model-graded tests are judged by defaultTest.options.provider; select-best is refused", async () => {
    const dir = workDir();
    const config = judgedConfig(
      dir,
      "judged.yaml",
      "    - type: llm-rubric\n      value: 'The answer names \"{{ label }}\"'\n",
    );
    const best = await runCli(
      [
        "optimize",
        judgedConfig(dir, "best.yaml", "    - type: select-best\n      value: most polite\n"),
        "-o",
        "v3.txt",
      ],
      { cwd: dir },
    );
    expect(best.code).toBe(2);
    expect(best.stderr).toMatch(/test 0: "select-best" compares the outputs of several prompts/);
    const result = await runCli(
      [
        "optimize",
        config,
        "--proposer",
        "mock:reflect",
        "--prices",
        "fixtures/optimize/prices.yaml",
        "-o",
        "v3.txt",
        "--progress",
        "none",
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const h = history(dir, "v3.opt.json");
    expect(h.cost.judge?.calls).toBeGreaterThan(0);
    expect(h.test.significant).toBe(true);
  });

  it("optimizes a prompt of an eval config against its own tests, and the config can point at the result", async () => {
    const dir = workDir();
    const result = await runCli(
      [
        "optimize",
        "fixtures/optimize/promptfooconfig.yaml",
        "--prompt",
        "v2",
        "--proposer",
        "mock:reflect",
        "-o",
        "prompts/v3.txt",
        "--progress",
        "none",
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/optimize: wrote prompts\/v3\.txt/);
    const v3 = readFileSync(join(dir, "prompts/v3.txt"), "utf8");
    expect(v3).toMatch(/\{\{ text \}\}/);
    expect(history(dir, "prompts/v3.opt.json").test.significant).toBe(true);
    writeFileSync(
      join(dir, "fixtures/optimize/v3.yaml"),
      readFileSync(join(dir, "fixtures/optimize/promptfooconfig.yaml"), "utf8").replace(
        /prompts:[\s\S]*?providers:/,
        "prompts:\n  - file://../../prompts/v3.txt\nproviders:",
      ),
    );
    const evaluated = await runCli(
      ["eval", "fixtures/optimize/v3.yaml", "--pass-rate", "40", "--progress", "none"],
      { cwd: dir },
    );
    expect(evaluated.stderr).toMatch(/pass rate \d+\.\d%/);
    expect(evaluated.code).toBe(0);
  });

  it("refuses --assert or -r with an eval config, and an unknown --prompt, before sending (exit 2)", async () => {
    const dir = workDir();
    const base = ["optimize", "fixtures/optimize/promptfooconfig.yaml", "-o", "v3.txt"];
    const withAssert = await runCli([...base, "--assert", "equals:x"], { cwd: dir });
    expect(withAssert.code).toBe(2);
    expect(withAssert.stderr).toMatch(/its tests carry their assertions/);
    const unknown = await runCli([...base, "--prompt", "nope"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no prompt with id or label "nope" \(known: v2\)/);
  });

  it('says "no significant gain" when the sealed test does not support one; --require-gain then exits 100', async () => {
    const dir = workDir();
    const args = optimize([
      "--proposer",
      "mock:paraphrase",
      "--patience",
      "3",
      "--require-gain",
      "--report",
      "opt.md",
    ]);
    const result = await runCli(args, { cwd: dir });
    expect(result.stderr).toMatch(/no significant gain \(\+0\.0 pts, 95% interval .* covers 0\)/);
    expect(result.code).toBe(100);
    expect(readFileSync(join(dir, "opt.md"), "utf8")).toMatch(
      /\| candidate \| parent \| val \| decision \| why \|/,
    );
    const other = await runCli(optimize(["--report", "opt.pdf"]), { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /--report \S*opt\.pdf: optimize writes its report as Markdown \(\.md\) or HTML/,
    );
  });

  it("with several task models, each val row × model is an instance, and --across min ranks by the worst model", async () => {
    const dir = workDir();
    const result = await runCli(
      optimize([
        "-m",
        "mock:instruct",
        "-m",
        "mock:instruct?noise=0.3&seed=5",
        "--across",
        "min",
        "--patience",
        "3",
      ]),
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const h = JSON.parse(readFileSync(join(dir, "best.opt.json"), "utf8")) as {
      models: string[];
      across: string;
      split: { val: string[] };
      candidates: { val_scores: (number | null)[] }[];
    };
    expect(h.models).toEqual(["mock:instruct", "mock:instruct?noise=0.3&seed=5"]);
    expect(h.across).toBe("min");
    expect(h.candidates[0]?.val_scores).toHaveLength(h.split.val.length * 2);
    expect(readFileSync(join(dir, "best.yaml"), "utf8")).toMatch(/^model: mock:instruct$/m);
  });
});
