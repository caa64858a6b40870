import { describe, expect, it } from "vitest";
import { problemsOf, writeConfig, yaml } from "./support.js";

/** The problems, each as `line: message` (the file's path cut). */
function located(path: string, lines: string[]): string[] {
  return lines.map((line) => (line.startsWith(`${path}:`) ? line.slice(path.length + 1) : line));
}

describe("promptfoo features metasync does not run: reported where they are, all together", () => {
  it("reports top-level keys, prompt and provider features, per place", () => {
    const path = writeConfig({
      "promptfooconfig.yaml": yaml(
        "description: everything refused", // 1
        "prompts:",
        "  - file://prompt.js", // 3
        "  - file://build.py:make_prompt", // 4
        "  - langfuse://support-prompt:3", // 5
        "  - raw: 'Hi {{ name }}'", // 6
        "    config: { temperature: 0 }", // 7
        "  - '{% for turn in _conversation %}{{ turn.output }}{% endfor %}'", // 8
        "providers:",
        "  - id: openai:gpt-4o-mini", // 10
        "    prompts: [support]", // 11
        "  - http://localhost:8080/chat", // 12
        "scenarios:", // 13
        "  - config: [{ vars: { a: 1 } }]",
        "extensions: [file://hooks.js:beforeAll]", // 15
        "nunjucksFilters:", // 16
        "  shout: ./shout.js",
        "derivedMetrics: [{ name: f1, value: 2 * p * r / (p + r) }]", // 18
        "outputPath: results.json", // 19
        "sharing: false", // 20
        "env: { OPENAI_API_KEY: sk-x }", // 21
        "writeLatestResults: false", // 22
        "redteam: { plugins: [harmful] }", // 23
        "colour: blue", // 24
        "$schema: https://promptfoo.dev/config-schema.json",
        "x-notes: ignored by promptfoo too",
      ),
    });
    const dir = path.replace(/promptfooconfig\.yaml$/, "");
    expect(located(path, problemsOf(path))).toEqual([
      `3: prompts[0]: prompt functions and scripts (${dir}prompt.js) are not supported`,
      `4: prompts[1]: prompt functions and scripts (${dir}build.py:make_prompt) are not supported`,
      "5: prompts[2]: prompts from langfuse:// are not supported",
      "7: prompts[3].config is not supported",
      "8: prompts[4]: the _conversation var (multi-turn evals) is not supported",
      "11: providers[0].prompts is not supported",
      '12: providers[1]: provider "http://localhost:8080/chat" is not supported (supported: openai:<model>, openai:chat:<model>, anthropic:messages:<model>, anthropic:<model>, mock:<model>)',
      "13: scenarios is not supported",
      "15: extensions is not supported",
      "16: nunjucksFilters is not supported",
      "18: derivedMetrics is not supported",
      "19: outputPath is not supported",
      "20: sharing is not supported",
      "21: env is not supported",
      "22: writeLatestResults is not supported",
      "23: redteam is not supported",
      '24: unknown key "colour"',
    ]);
  });

  it("reports test, option and assertion features, with their paths", () => {
    const path = writeConfig({
      "promptfooconfig.yaml": yaml(
        "prompts: ['{{ q }}']", // 1
        "providers: [mock:echo]",
        "defaultTest:",
        "  options:",
        "    transformVars: '{ ...vars, q: vars.q.trim() }'", // 5
        "tests:",
        "  - vars: { q: a }", // 7
        "    options:",
        "      transform: output.trim()", // 9
        "      prefix: 'Q: '", // 10
        "      storeOutputAs: answer", // 11
        "      temperature: 0", // 12
        "  - vars: { q: b }", // 13
        "    provider: openai:gpt-4o", // 14
        "    providerOutput: canned", // 15
        "    assertScoringFunction: file://score.js", // 16
        "    prompts: [p1]", // 17
        "  - vars:", // 18
        "      doc: file://docs/a.txt", // 19
        "    assert:",
        "      - type: contains", // 21
        "        value: x",
        "        transform: output.toLowerCase()", // 23
        "      - type: equals", // 24
        "        assert: []", // 25
        "      - { type: assert-set, contextTransform: x }", // 26
        "  - vars: file://vars.yaml", // 27
        "    assert: file://asserts.yaml", // 28
        "  - vars: { q: c }", // 29
        "    asserts: [{ type: contains, value: c }]", // 30
      ),
    });
    expect(located(path, problemsOf(path))).toEqual([
      "5: defaultTest.options.transformVars is not supported",
      "9: tests[0].options.transform is not supported",
      "10: tests[0].options.prefix is not supported",
      "11: tests[0].options.storeOutputAs is not supported",
      "12: tests[0].options.temperature is not supported",
      "14: tests[1].provider is not supported",
      "15: tests[1].providerOutput is not supported",
      "16: tests[1].assertScoringFunction is not supported",
      "17: tests[1].prompts is not supported",
      "19: tests[2].vars.doc: a var read from a file (file://…) is not supported",
      "23: tests[2].assert[0].transform is not supported",
      '25: tests[2].assert[1]: "assert" belongs to an assert-set, not to equals',
      "26: tests[2].assert[2].contextTransform is not supported",
      "27: tests[3].vars: loading vars from files is not supported",
      "28: tests[3].assert: loading assertions from a file is not supported",
      '30: tests[4]: unknown key "asserts"',
    ]);
  });

  it("reports assertions metasync cannot run, as the assertion library checks them", () => {
    const path = writeConfig({
      "promptfooconfig.yaml": yaml(
        "prompts: ['{{ q }}']", // 1
        "providers: [mock:echo]",
        "tests:",
        "  - vars: { q: a }",
        "    assert:",
        "      - type: answer-relevance", // 6
        "        value: is polite",
        "      - type: no-such-check", // 8
        "      - type: assert-set", // 9
        "        assert:",
        "          - type: python", // 11
        "            value: file://check.py",
      ),
    });
    expect(located(path, problemsOf(path))).toEqual([
      '6: tests[0].assert[0]: "answer-relevance" is a model-graded assertion metasync does not have yet',
      '8: tests[0].assert[1]: unknown assertion type "no-such-check"',
      '9: tests[0].assert[2].assert[0]: "python" assertions are not supported yet',
    ]);
    const csv = writeConfig({
      "promptfooconfig.yaml": yaml("prompts: ['{{ q }}']", "providers: [mock:echo]", "tests: file://q.csv"),
      "q.csv": "q,__expected\nhi,not-llm-rubric:is polite\n",
    });
    expect(problemsOf(csv)).toEqual([
      `${csv.replace(/promptfooconfig\.yaml$/, "q.csv")}:2: column "__expected": "not-llm-rubric": promptfoo does not negate llm-rubric (its verdict ignores not-); write the negation into the rubric`,
    ]);
  });

  it("names the tests file and the line in it for a refused feature in a file's test", () => {
    const path = writeConfig({
      "promptfooconfig.yaml": yaml("providers: [mock:echo]", "tests: file://cases/*.yaml"),
      "cases/one.yaml": yaml("- vars: { q: a }", "  options:", "    postprocess: output.trim()"),
      "cases/two.jsonl": "",
    });
    const tests = path.replace(/promptfooconfig\.yaml$/, "cases/one.yaml");
    expect(problemsOf(path)).toEqual([`${tests}:3: [0].options.postprocess is not supported`]);
  });

  it("reports a malformed config with every syntax error at its line, and nothing else", () => {
    const path = writeConfig({ "promptfooconfig.yaml": "prompts: [a\nproviders: mock:echo\nproviders: x\n" });
    const lines = problemsOf(path);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${path}:\\d+: malformed YAML: `));
  });
});
