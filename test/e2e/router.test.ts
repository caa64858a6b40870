import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pngImage } from "../support/images.js";
import { assertBuilt, runCli } from "./cli.js";
import { promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const ROUTER = `# the first rule that matches wins
rules:
  - name: vision
    when: { has_image: true }
    model: anthropic:claude-haiku-4-5
  - name: premium
    when:
      fields: { tier: [premium, gold] }
    model: openai:gpt-4o
    fallbacks: [mock:echo]
  - name: legal
    when: { prompt_matches: "/contract|lawsuit/i" }
    model: anthropic:claude-sonnet-4-5
  - name: long
    when: { prompt_tokens_over: 40 }
    model: openai:gpt-4.1
  - name: cheap
    model: openai:gpt-4o-mini
`;

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

function routed(): string {
  const cwd = promptsDir([
    { id: "short", prompt: "hello there" },
    { id: "legal", prompt: "Please review this Contract." },
    { id: "gold", prompt: "hi", tier: "gold" },
    { id: "premium-down", prompt: "[[fault:404]] hi", tier: "premium" },
    { id: "cheap-down", prompt: "[[fault:404]] hello" },
    { id: "long", prompt: LONG },
    { id: "photo", photo: "p.png", prompt: "Describe" },
    { id: "own", prompt: "mine", model: "mock:echo" },
  ]);
  writeFileSync(join(cwd, "router.yaml"), ROUTER);
  writeFileSync(join(cwd, "p.png"), pngImage(64, 64));
  return cwd;
}

describe.concurrent("-m auto --router", () => {
  it("routes each row by rule kind through the real SDKs, with the rule's own fallbacks", async (test) => {
    const server = await serve(test);
    const cwd = routed();
    const env = {
      ...providerEnv("openai", server, "sk-test-router-0123456789"),
      ...providerEnv("anthropic", server, "sk-ant-test-router-0123456789"),
    };
    // --image applies to rows whose template field is there; here only the photo row has one, so the
    // image comes from a chat row instead.
    const photo = JSON.stringify({
      id: "photo",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image_url", image_url: { url: "https://images.example.com/p.png" } },
          ],
        },
      ],
    });
    const lines = readFileSync(join(cwd, "prompts.jsonl"), "utf8").split("\n");
    const index = lines.findIndex((line) => line.includes('"photo"'));
    lines[index] = photo;
    writeFileSync(join(cwd, "prompts.jsonl"), lines.join("\n"));

    const run = await runPrompts(
      cwd,
      ["-m", "auto", "--router", "router.yaml", "--report", "report.json"],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    const where = Object.fromEntries(
      Object.entries(run.results).map(([id, line]) => [id, [line.rule ?? null, line.model, line.status]]),
    );
    expect(where).toEqual({
      short: ["cheap", "openai:gpt-4o-mini", "ok"],
      legal: ["legal", "anthropic:claude-sonnet-4-5", "ok"],
      gold: ["premium", "openai:gpt-4o", "ok"],
      // gpt-4o is not there (404): the rule's fallback answers.
      "premium-down": ["premium", "mock:echo", "ok"],
      // The catch-all rule has no fallback: the row fails.
      "cheap-down": ["cheap", "openai:gpt-4o-mini", "error"],
      long: ["long", "openai:gpt-4.1", "ok"],
      photo: ["vision", "anthropic:claude-haiku-4-5", "ok"],
      own: [null, "mock:echo", "ok"],
    });
    const report = JSON.parse(readFileSync(join(cwd, "report.json"), "utf8")) as {
      by_rule: Record<string, { items: number; cost_usd: number | null }>;
    };
    expect(Object.keys(report.by_rule).sort()).toEqual([
      "(the row's own model)",
      "cheap",
      "legal",
      "long",
      "premium",
      "vision",
    ]);
    expect(report.by_rule.cheap?.items).toBe(2);
    expect(report.by_rule.premium?.items).toBe(2);
    expect(report.by_rule.legal?.cost_usd).toBeGreaterThan(0);
  });

  it("--dry-run says how many rows each rule takes and what they cost", async () => {
    const cwd = routed();
    const run = await runCli(
      [
        "run",
        "prompts.jsonl",
        "-m",
        "auto",
        "--router",
        "router.yaml",
        "--dry-run",
        "--json",
        "--max-tokens",
        "10",
      ],
      { cwd, env: { OPENAI_API_KEY: "sk-x", ANTHROPIC_API_KEY: "sk-y" } },
    );
    expect(run.code, run.stderr).toBe(0);
    const estimate = JSON.parse(run.stdout) as {
      by_rule: { rule: string; requests: number; models: string[]; cost_usd: { max: number } | null }[];
    };
    const rules = Object.fromEntries(
      estimate.by_rule.map((rule) => [rule.rule, [rule.requests, rule.models]]),
    );
    expect(estimate.by_rule.map((rule) => rule.rule)).toEqual([
      "vision",
      "premium",
      "legal",
      "long",
      "cheap",
      "(the row's own model)",
    ]);
    expect(rules).toEqual({
      vision: [0, []],
      cheap: [3, ["openai:gpt-4o-mini"]],
      legal: [1, ["anthropic:claude-sonnet-4-5"]],
      premium: [2, ["openai:gpt-4o"]],
      long: [1, ["openai:gpt-4.1"]],
      "(the row's own model)": [1, ["mock:echo"]],
    });
    expect(estimate.by_rule.find((rule) => rule.rule === "legal")?.cost_usd?.max).toBeGreaterThan(0);
    expect(estimate.by_rule.find((rule) => rule.rule === "vision")?.cost_usd?.max).toBe(0);
    const text = await runCli(
      ["run", "prompts.jsonl", "-m", "auto", "--router", "router.yaml", "--dry-run"],
      {
        cwd,
        env: { OPENAI_API_KEY: "sk-x", ANTHROPIC_API_KEY: "sk-y" },
      },
    );
    expect(text.stderr).toMatch(/by router rule:\nmetasync: RULE +REQUESTS/);
    expect(text.stderr).toMatch(/metasync: cheap +3 /);
  });

  it("refuses a bad router file with its lines, and -m auto without one (exit 2)", async () => {
    const cwd = promptsDir([{ id: "a", prompt: "x" }]);
    writeFileSync(
      join(cwd, "bad.yaml"),
      [
        "rules:",
        "  - name: a",
        "    when: { prompt_tokens_over: many, colour: red }",
        "    model: openai:gpt-4o",
        "  - name: rest",
        "    model: nosuch:model",
        "  - name: after",
        "    model: openai:gpt-4o-mini",
        "",
      ].join("\n"),
    );
    const bad = await runPrompts(cwd, ["-m", "auto", "--router", "bad.yaml"], {});
    expect(bad.code).toBe(2);
    const lines = bad.stderr.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        /bad\.yaml:3: rule 1 \(a\): prompt_tokens_over must be a whole number of tokens$/,
      ),
      expect.stringMatching(/bad\.yaml:3: rule 1 \(a\): when: unknown key "colour" \(known: .*\)$/),
      expect.stringMatching(/bad\.yaml:6: rule 2 \(rest\): model "nosuch:model": unknown provider "nosuch"/),
      expect.stringMatching(/bad\.yaml:7: rule 3 \(after\) is never used: "rest" \(line 5\) has no "when"/),
    ]);
    const missing = await runPrompts(cwd, ["-m", "auto"], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("-m auto needs --router router.yaml");

    writeFileSync(
      join(cwd, "partial.yaml"),
      "rules:\n  - when: { has_image: true }\n    model: openai:gpt-4o\n",
    );
    const unmatched = await runPrompts(cwd, ["-m", "auto", "--router", "partial.yaml"], {});
    expect(unmatched.code).toBe(2);
    expect(unmatched.stderr).toMatch(/prompts\.jsonl:1: no rule of .*partial\.yaml takes this row/);
  });

  it("needs keys only for the models (and fallbacks) of rules that took rows", async () => {
    const cwd = promptsDir([
      { id: "a", prompt: "hello" },
      { id: "b", prompt: "hi", tier: "gold" },
    ]);
    writeFileSync(
      join(cwd, "router.yaml"),
      [
        "rules:",
        "  - name: legal",
        '    when: { prompt_matches: "contract" }',
        "    model: anthropic:claude-haiku-4-5",
        "  - name: gold",
        "    when: { fields: { tier: gold } }",
        "    model: mock:echo?latency_ms=1",
        "    fallbacks: [mock:echo]",
        "  - name: rest",
        "    model: mock:echo",
        "",
      ].join("\n"),
    );
    const run = await runPrompts(cwd, ["-m", "auto", "--router", "router.yaml"], {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.a).toMatchObject({ rule: "rest", model: "mock:echo", output: "hello" });
    expect(run.results.b).toMatchObject({ rule: "gold", model: "mock:echo?latency_ms=1" });
  });
});
