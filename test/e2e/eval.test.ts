import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, ROOT, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const FIXTURE = join(ROOT, "fixtures/eval/promptfooconfig.yaml");

/** The contract's row fields, in order (design/eval.md). */
const ROW_FIELDS = [
  "test",
  "description",
  "prompt",
  "provider",
  "repeat",
  "vars",
  "output",
  "status",
  "pass",
  "score",
  "reason",
  "named_scores",
  "assertions",
  "error",
  "latency_ms",
  "usage",
  "cost_usd",
  "grading_cost_usd",
  "cached",
];

/** A config of `count` tests against the OpenAI provider (the mock server, through the real SDK). */
function openaiConfig(dir: string, count: number, extra = ""): void {
  const tests = Array.from(
    { length: count },
    (_, i) =>
      `  - description: t${i}\n    vars: {n: "${i}"}\n    assert:\n      - type: contains\n        value: "number ${i}"`,
  ).join("\n");
  writeFileSync(
    join(dir, "promptfooconfig.yaml"),
    `prompts:\n  - "Say number {{ n }}${extra}"\nproviders:\n  - openai:chat:gpt-4o-mini\ntests:\n${tests}\n`,
  );
}

describe("metasync eval", () => {
  it("runs the example config offline and writes every output format", async () => {
    const cwd = workDir();
    const first = await runCli(["eval", FIXTURE, "--state", "st.db", "--progress", "none"], { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/pass rate 100\.0% \(0 errors\) — at or above the threshold of 100%/);

    // -t replaces the config's tests: two of three fail for every prompt × provider (6 cells).
    writeFileSync(
      join(cwd, "more.csv"),
      "ticket,__expected,__description\nrefund please,contains:refund,kept\nrefund please,contains:nowhere,lost\nhello,equals:bye,wrong\n",
    );
    const outputs = ["rows.jsonl", "r.json", "r.csv", "r.md", "r.xml"];
    const args = ["eval", FIXTURE, "-t", "more.csv", "--state", "st.db", "--progress", "none"];
    const second = await runCli([...args, ...outputs.flatMap((o) => ["-o", o])], { cwd });
    expect(second.code, second.stderr).toBe(100);
    expect(second.stderr).toMatch(/pass rate 33\.3% \(0 errors\) — below the threshold of 100%/);

    const rows = jsonLines(readFileSync(join(cwd, "rows.jsonl"), "utf8"));
    expect(rows).toHaveLength(18);
    for (const row of rows) expect(Object.keys(row)).toEqual(ROW_FIELDS);
    expect(rows.filter((r) => r.status === "pass")).toHaveLength(6);
    expect(rows[0]).toMatchObject({
      test: 0,
      description: "kept",
      repeat: 0,
      status: "pass",
      pass: true,
      error: null,
    });
    expect(rows[1]).toMatchObject({ test: 0, status: "pass" });
    expect(rows.find((r) => r.description === "wrong")?.assertions).toContainEqual(
      expect.objectContaining({ type: "equals", pass: false, weight: 1 }),
    );

    const json = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as {
      summary: { overall: { rows: number; pass: number } };
      rows: unknown[];
    };
    expect(json.summary.overall).toMatchObject({ rows: 18, pass: 6 });
    expect(json.rows).toHaveLength(18);

    const xml = readFileSync(join(cwd, "r.xml"), "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
      testsuites: Record<string, string>;
    };
    expect(parsed.testsuites["@_tests"]).toBe("18");
    expect(parsed.testsuites["@_failures"]).toBe("12");
    expect(readFileSync(join(cwd, "r.csv"), "utf8").split("\n")[0]).toMatch(
      /^test,description,prompt,provider,repeat,/,
    );
    expect(readFileSync(join(cwd, "r.md"), "utf8")).toContain("Failing rows (12 of 18)");

    // A lower threshold passes; the rerun sends nothing (every row is answered) and grades again.
    const again = await runCli([...args, "--pass-rate", "30", "--progress", "plain"], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/done: 18 items \(18 done before\)/);

    const runs = await runCli(["runs", "--state", "st.db"], { cwd });
    expect(runs.stdout).toMatch(/eval-/);
  });

  it("sends each row once through the real SDK, counts errors in the pass rate, and retries a 429", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      [
        "prompts: ['{{ text }}']",
        "providers: [openai:chat:gpt-4o-mini]",
        "tests:",
        "  - vars: {text: 'fine answer'}",
        "    assert: [{type: icontains, value: FINE}]",
        "  - vars: {text: 'refused [[fault:400]]'}",
        "    assert: [{type: contains, value: refused}]",
        "  - vars: {text: 'busy once [[fault:429x1]]'}",
        "    assert: [{type: starts-with, value: busy}]",
        "  - vars: {text: 'wrong answer'}",
        "    assert: [{type: equals, value: right answer}]",
      ].join("\n"),
    );
    const result = await runCli(["eval", "--state", "st.db", "--progress", "none", "-o", "rows.jsonl"], {
      cwd,
      env: providerEnv("openai", server, "sk-eval"),
    });
    expect(result.code, result.stderr).toBe(100);
    const rows = jsonLines(readFileSync(join(cwd, "rows.jsonl"), "utf8"));
    expect(rows.map((r) => r.status)).toEqual(["pass", "error", "pass", "fail"]);
    expect(rows[1]?.error).toMatchObject({ type: "bad_request" });
    expect(rows[3]?.reason).toBe('Expected output "wrong answer" to equal "right answer"');
    expect(result.stderr).toMatch(/pass rate 50\.0% \(1 errors\)/);
    // 4 rows: one request each, and one more for the 429.
    expect(server.stats().requests).toBe(5);
  });

  it("refuses a bad config with its place, exit 2, before anything is sent", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(
      join(cwd, "promptfooconfig.yaml"),
      "prompts: ['{{ q }}']\nproviders: [openai:chat:gpt-4o-mini]\nscenarios: []\ntests:\n  - vars: {q: hi}\n    assert: [{type: answer-relevance, value: polite}]\n",
    );
    const result = await runCli(["eval", "--state", "st.db", "-o", "rows.jsonl"], {
      cwd,
      env: providerEnv("openai", server, "sk-eval"),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/promptfooconfig\.yaml:3: .*scenarios/);
    expect(result.stderr).toMatch(/answer-relevance/);
    expect(server.stats().requests).toBe(0);
    expect(existsSync(join(cwd, "rows.jsonl"))).toBe(false);
  });

  it("refuses a prompt that does not render for a row, exit 2, before anything is sent; the fixed config runs", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    const config = (q: string) =>
      writeFileSync(
        join(cwd, "promptfooconfig.yaml"),
        `prompts: ['Items: {{ q | load | length }}']\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n  - vars: {q: '[1, 2]'}\n  - description: broken\n    vars: {q: '${q}'}\n`,
      );
    config("[3");
    const args = ["eval", "--state", "st.db", "--progress", "none", "-o", "rows.jsonl"];
    const env = providerEnv("openai", server, "sk-eval");
    const refused = await runCli(args, { cwd, env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/promptfooconfig\.yaml: test 1 \("broken"\), prompt .*: template error/);
    expect(server.stats().requests).toBe(0);
    expect(existsSync(join(cwd, "rows.jsonl"))).toBe(false);

    config("[3]");
    const fixed = await runCli(args, { cwd, env });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(server.stats().requests).toBe(2);
    expect(jsonLines(readFileSync(join(cwd, "rows.jsonl"), "utf8")).map((r) => r.status)).toEqual([
      "pass",
      "pass",
    ]);
  });

  it("kill -9 mid-eval, rerun: only unfinished rows are sent, every row graded once", async (test) => {
    const server = await serve(test, { latencyMs: 30 });
    const cwd = workDir();
    openaiConfig(cwd, 120);
    const env = providerEnv("openai", server, "sk-eval");
    const args = ["eval", "--state", "st.db", "--progress", "none", "-c", "4", "-o", "rows.jsonl"];
    const killed = await runCli(args, {
      cwd,
      env,
      killWhen: { signal: "SIGKILL", when: () => server.stats().requests >= 30 },
    });
    expect(killed.signal).toBe("SIGKILL");
    const sentBefore = server.stats().requests;
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(120);

    const resumed = await runCli(args, { cwd, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const rows = jsonLines(readFileSync(join(cwd, "rows.jsonl"), "utf8"));
    expect(rows.map((r) => r.test)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(rows.every((r) => r.status === "pass")).toBe(true);
    // At most the requests in flight at the kill (-c 4) were sent twice.
    expect(server.stats().requests).toBeLessThanOrEqual(120 + 4);
  });

  it("--dry-run counts the rows and sends nothing", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    openaiConfig(cwd, 5);
    const result = await runCli(["eval", "--state", "st.db", "--dry-run", "--tpm", "100000"], {
      cwd,
      env: providerEnv("openai", server, "sk-eval"),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/eval dry run: 5 rows/);
    expect(result.stderr).toMatch(/5 requests/);
    expect(server.stats().requests).toBe(0);
    expect(existsSync(join(cwd, "st.db"))).toBe(false);
  });
});
