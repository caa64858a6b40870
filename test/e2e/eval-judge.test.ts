import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

/**
 * Two prompts × one OpenAI model (the mock server, through the real SDK), judged by the server's
 * `grader` model (it answers promptfoo's grader prompts) and its `/v1/embeddings`.
 */
const CONFIG = `
description: judged
prompts:
  - label: plain
    raw: "Answer: {{ answer }}"
  - label: polite
    raw: "Please answer: {{ answer }}"
providers:
  - openai:chat:gpt-4o-mini
defaultTest:
  options:
    provider: openai:chat:grader
tests:
  - description: refund
    vars: { answer: "we refund within 30 days" }
    assert:
      - type: llm-rubric
        value: 'mentions "refund"'
      - type: factuality
        value: "{{ answer }}"
      - type: model-graded-closedqa
        value: 'says "30 days"'
      - type: g-eval
        value: 'names "30 days"'
      - type: similar
        value: "we refund within 30 days"
        threshold: 0.5
        provider: openai:embedding:text-embedding-3-small
      - type: select-best
        value: 'says "please"'
  - description: off topic
    vars: { answer: "hello there" }
    assert:
      - type: llm-rubric
        value: 'mentions "refund"'
`;

const PRICES =
  "openai:grader: {input: 1000, output: 1000}\nopenai:text-embedding-3-small: {input: 20, output: 0}\n";

// biome-ignore lint/suspicious/noExplicitAny: rows are read as the JSON they are
function rows(cwd: string, file = "rows.jsonl"): Record<string, any>[] {
  return jsonLines(readFileSync(join(cwd, file), "utf8"));
}

describe("eval with model-graded assertions", () => {
  it("judges through the real SDK, prices the judge apart, and a rerun sends no judge call again", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    writeFileSync(join(cwd, "p.yaml"), PRICES);
    const env = providerEnv("openai", server, "sk-judge");
    const args = ["eval", "--state", "st.db", "--progress", "none", "--prices", "p.yaml", "-o", "rows.jsonl"];

    const first = await runCli(args, { cwd, env });
    expect(first.code, first.stderr).toBe(100);
    const judged = rows(cwd);
    expect(judged.map((r) => [r.description, r.prompt, r.status])).toEqual([
      ["refund", "plain", "fail"],
      ["refund", "polite", "pass"],
      ["off topic", "plain", "fail"],
      ["off topic", "polite", "fail"],
    ]);
    const [plain, polite] = judged;
    expect(polite?.assertions.map((a: { type: string; pass: boolean }) => [a.type, a.pass])).toEqual([
      ["llm-rubric", true],
      ["factuality", true],
      ["model-graded-closedqa", true],
      ["g-eval", true],
      ["similar", true],
      ["select-best", true],
    ]);
    // The plain prompt's answer is not the one the judge picked: that is its only failure.
    expect(plain?.assertions.filter((a: { pass: boolean }) => !a.pass)).toEqual([
      { type: "select-best", pass: false, score: 0, reason: 'Output not selected: says "please"', weight: 1 },
    ]);
    expect(polite?.assertions[0].reason).toBe("The output meets the rubric.");
    expect(judged[2]?.reason).toBe('The output does not meet the rubric: it lacks "refund".');
    // Judge calls are priced apart from the target call.
    for (const row of judged) expect(row.grading_cost_usd).toBeGreaterThan(0);
    expect(judged.reduce((sum, r) => sum + r.grading_cost_usd, 0)).toBeGreaterThan(
      judged.reduce((sum, r) => sum + r.cost_usd, 0),
    );
    // 4 target calls; per refund row a rubric, a factuality, a closedqa, a g-eval score and the
    // output's embedding; shared by both (the same request, sent once): g-eval's steps, the expected
    // text's embedding and the select-best; per off-topic row a rubric.
    const sent = server.stats().requests;
    expect(sent).toBe(4 + 5 * 2 + 3 + 2);
    expect(first.stderr).toMatch(/judge calls: 15 sent, 0 answered before/);

    // The same command again: every verdict is already given; nothing is sent, nothing is paid.
    const again = await runCli(args, { cwd, env });
    expect(again.code, again.stderr).toBe(100);
    expect(server.stats().requests).toBe(sent);
    expect(again.stderr).toMatch(/judge calls: 0 sent, 15 answered before/);
    expect(rows(cwd)).toEqual(judged);
  });

  it("counts judge calls in a dry run, and refuses an assertion without a grader before sending", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    const env = providerEnv("openai", server, "sk-judge");
    const dry = await runCli(["eval", "--dry-run"], { cwd, env });
    expect(dry.code, dry.stderr).toBe(0);
    // Per refund row 1+1+1+2+2 (similar embeds the output and the expected text), select-best once,
    // per off-topic row 1.
    expect(dry.stderr).toMatch(/judge calls: up to 17 \(openai:grader, openai:text-embedding-3-small\)/);
    expect(server.stats().requests).toBe(0);

    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      CONFIG.replace(/defaultTest:\n {2}options:\n {4}provider: openai:chat:grader\n/, ""),
    );
    const refused = await runCli(["eval", "--state", "st.db", "--progress", "none"], { cwd, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /test 0 \("refund"\): no grader for this model-graded assertion: give --grader/,
    );
    expect(server.stats().requests).toBe(0);
    // --grader names the judge for every assertion that names none.
    const graded = await runCli(
      ["eval", "--state", "st.db", "--progress", "none", "--grader", "openai:grader", "-o", "rows.jsonl"],
      { cwd, env },
    );
    expect(graded.code, graded.stderr).toBe(100);
    expect(rows(cwd).map((r) => r.status)).toEqual(["fail", "pass", "fail", "fail"]);
  });

  it("--repeat: each repeat a real sample judged anew; pass@k, pass^k and the flaky tests named", async () => {
    const cwd = workDir();
    const tests = Array.from(
      { length: 6 },
      (_, i) =>
        `  - description: case ${i}\n    vars: { n: "${i}" }\n    assert:\n      - type: llm-rubric\n        value: 'says "number"'`,
    ).join("\n");
    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      `prompts: ["number {{ n }}"]\nproviders: [mock:echo]\ntests:\n${tests}\n`,
    );
    const args = [
      "eval",
      "--state",
      "st.db",
      "--progress",
      "none",
      "--repeat",
      "5",
      "-o",
      "rows.jsonl",
      "-o",
      "s.json",
    ];
    const grader = ["--grader", "mock:grader?noise=0.3&seed=11"];
    const first = await runCli([...args, ...grader], { cwd });
    expect([0, 100]).toContain(first.code);
    const judged = rows(cwd);
    expect(judged).toHaveLength(30);
    expect(judged.slice(0, 5).map((r) => r.repeat)).toEqual([0, 1, 2, 3, 4]);
    // Every row's judge call was its own sample: 30 sent, none shared.
    expect(first.stderr).toMatch(/judge calls: 30 sent, 0 answered before/);
    const summary = JSON.parse(readFileSync(join(cwd, "s.json"), "utf8")).summary;
    const repeats = summary.cells[0].repeats;
    // The same numbers, counted from the rows by hand.
    const byTest = new Map<number, boolean[]>();
    for (const r of judged) byTest.set(r.test, [...(byTest.get(r.test) ?? []), r.status === "pass"]);
    const flaky = [...byTest]
      .filter(([, s]) => s.some(Boolean) && !s.every(Boolean))
      .map(([t]) => `case ${t}`);
    expect(flaky.length).toBeGreaterThan(0);
    expect(repeats).toEqual({
      k: 5,
      tests: 6,
      pass_at_k: [...byTest.values()].filter((s) => s.some(Boolean)).length / 6,
      pass_hat_k: [...byTest.values()].filter((s) => s.every(Boolean)).length / 6,
      flaky: flaky.length,
      flaky_tests: flaky,
    });
    expect(first.stderr).toContain(`flaky: ${flaky.join(", ")}`);
    // Rerun: every verdict already given.
    const again = await runCli([...args, ...grader], { cwd });
    expect(again.stderr).toMatch(/judge calls: 0 sent, 30 answered before/);
    expect(rows(cwd)).toEqual(judged);
  });

  it("judge calls count against --max-cost: grading stops below the cap (exit 3) and a rerun resumes it", async () => {
    const cwd = workDir();
    const tests = [1, 2, 3, 4]
      .map((n) => `  - vars: { n: "${n}" }\n    assert: [{ type: llm-rubric, value: 'says "number"' }]`)
      .join("\n");
    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      `prompts: ["number {{ n }}"]\nproviders: [mock:echo]\ntests:\n${tests}\n`,
    );
    // Input tokens only, so a judge call's worst case is what it costs: about $0.16 each.
    writeFileSync(
      join(cwd, "p.yaml"),
      "mock:grader: {input: 1000, output: 0}\nmock:echo: {input: 0, output: 0}\n",
    );
    const args = [
      "eval",
      "--state",
      "st.db",
      "--progress",
      "none",
      "--prices",
      "p.yaml",
      "--grader",
      "mock:grader",
      "-c",
      "1",
    ];
    const capped = await runCli([...args, "--max-cost", "0.4", "-o", "rows.jsonl"], { cwd });
    expect(capped.code, capped.stderr).toBe(3);
    expect(capped.stderr).toMatch(/judge calls: 2 sent, 0 answered before/);
    expect(capped.stderr).toMatch(
      /grading stopped \(spending cap reached: \$0\.320 spent of --max-cost \$0\.4/,
    );
    const first = rows(cwd);
    expect(first.map((r) => r.status)).toEqual(["pass", "pass", "error", "error"]);
    expect(first.reduce((sum, r) => sum + r.grading_cost_usd, 0)).toBeLessThanOrEqual(0.4);

    const resumed = await runCli([...args, "--max-cost", "5", "-o", "rows.jsonl"], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/judge calls: 2 sent, 2 answered before/);
    expect(rows(cwd).map((r) => r.status)).toEqual(["pass", "pass", "pass", "pass"]);
  });

  it("kill -9 while judging, rerun: the verdicts given before the kill are not asked again", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    // Every answer takes 300 ms (the directive is echoed into the judge's prompt too).
    const tests = [1, 2, 3, 4, 5, 6]
      .map((n) => `  - vars: { n: "${n}" }\n    assert: [{ type: llm-rubric, value: 'says "number"' }]`)
      .join("\n");
    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      `prompts: ["number {{ n }} [[latency:300]]"]\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n${tests}\n`,
    );
    const env = providerEnv("openai", server, "sk-judge");
    const args = ["eval", "--state", "st.db", "--progress", "none", "--grader", "openai:grader", "-c", "1"];
    const answered = () => server.stats().status_counts["200"] ?? 0;
    const killed = await runCli(args, {
      cwd,
      env,
      killWhen: { signal: "SIGKILL", when: () => answered() >= 6 + 2 },
    });
    expect(killed.signal).toBe("SIGKILL");
    const beforeRerun = answered();
    expect(beforeRerun).toBeLessThan(12);
    const rerun = await runCli(args, { cwd, env });
    expect(rerun.code, rerun.stderr).toBe(0);
    const reused = Number(/judge calls: (\d+) sent, (\d+) answered before/.exec(rerun.stderr)?.[2]);
    const sentAgain = Number(/judge calls: (\d+) sent/.exec(rerun.stderr)?.[1]);
    expect(reused + sentAgain).toBe(6);
    // Every judge answer the server gave before the kill and the process kept is reused; at most the
    // one whose answer was on the wire when the process died is asked again.
    expect(reused).toBeGreaterThanOrEqual(beforeRerun - 6 - 1);
    expect(answered()).toBeLessThanOrEqual(12 + 1);
  });
});
