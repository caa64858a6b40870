import { describe, expect, it } from "vitest";
import { varCombinations } from "../../../src/eval/config/expand-tests.js";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

describe("defaultTest, merged into each test as promptfoo's evaluator merges it", () => {
  const path = writeConfig({
    "c.yaml": yaml(
      "prompts: ['{{ q }} {{ tone }}']",
      "providers: [mock:echo]",
      "defaultTest:",
      "  vars: { tone: polite, q: default }",
      "  assert: [{ type: not-contains, value: sorry }]",
      "  threshold: 0.5",
      "  metadata: { suite: smoke, owner: ana }",
      "  options:",
      "    provider: openai:gpt-4o-mini",
      "    rubricPrompt: 'Grade: {{ output }}'",
      "tests:",
      "  - description: own values win",
      "    vars: { q: hello }",
      "    assert: [{ type: contains, value: hello }]",
      "    threshold: 0",
      "    metadata: { owner: bo }",
      "    options: { provider: anthropic:claude-haiku-4-5 }",
      "  - vars: { q: bare }",
      "  - vars: { q: alone }",
      "    assert: [{ type: equals, value: alone }]",
      "    options: { disableDefaultAsserts: true }",
    ),
  });
  const tests = load(path).tests;

  it("puts defaultTest's assertions first, then the test's; vars, metadata and options shallow-merged", () => {
    expect(tests[0]).toEqual({
      index: 0,
      description: "own values win",
      vars: { tone: "polite", q: "hello" },
      assert: [
        { type: "not-contains", value: "sorry" },
        { type: "contains", value: "hello" },
      ],
      threshold: 0,
      metadata: { suite: "smoke", owner: "bo" },
      options: { provider: "anthropic:claude-haiku-4-5", rubricPrompt: "Grade: {{ output }}" },
    });
  });

  it("gives a test without its own values defaultTest's, threshold included", () => {
    expect(tests[1]).toEqual({
      index: 1,
      vars: { tone: "polite", q: "bare" },
      assert: [{ type: "not-contains", value: "sorry" }],
      threshold: 0.5,
      metadata: { suite: "smoke", owner: "ana" },
      options: { provider: "openai:gpt-4o-mini", rubricPrompt: "Grade: {{ output }}" },
    });
  });

  it("leaves defaultTest's assertions out with options.disableDefaultAsserts", () => {
    expect(tests[2]?.assert).toEqual([{ type: "equals", value: "alone" }]);
  });

  it("reads defaultTest from a file:// YAML file", () => {
    const fromFile = writeConfig({
      "c.yaml": yaml(
        "providers: [mock:echo]",
        "defaultTest: file://defaults.yaml",
        "tests: [{ vars: { q: x } }]",
      ),
      "defaults.yaml": yaml("assert:", "  - type: is-json"),
    });
    expect(load(fromFile).tests[0]?.assert).toEqual([{ type: "is-json" }]);
  });

  it("merges defaultTest the same when the config lists the tests first, inline or in a file", () => {
    const files = (order: string[]) =>
      writeConfig({
        "c.yaml": yaml("providers: [mock:echo]", ...order),
        "defaults.yaml": yaml("vars: { tone: calm }", "assert:", "  - type: is-json"),
        "t.csv": "q,__expected\na,contains:a\nb,contains:b\n",
      });
    const inline = "defaultTest: { vars: { tone: calm }, assert: [{ type: is-json }] }";
    const expected = load(files([inline, "tests: file://t.csv"])).tests;
    expect(expected.map((t) => [t.index, t.vars, t.assert.length])).toEqual([
      [0, { tone: "calm", q: "a" }, 2],
      [1, { tone: "calm", q: "b" }, 2],
    ]);
    expect(load(files(["tests: file://t.csv", inline])).tests).toEqual(expected);
    expect(load(files(["tests: file://t.csv", "defaultTest: file://defaults.yaml"])).tests).toEqual(expected);
  });

  it("runs one empty test (with defaultTest's values) when there are no tests", () => {
    const empty = writeConfig({
      "c.yaml": yaml("prompts: ['hi']", "providers: [mock:echo]", "defaultTest: { vars: { x: 1 } }"),
    });
    expect(load(empty).tests).toEqual([{ index: 0, vars: { x: 1 }, assert: [] }]);
  });
});

describe("vars expansion, as promptfoo's generateVarCombinations", () => {
  it("makes one test per item of a list of strings, the cartesian product in key order", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ a }}{{ b }}']",
        "providers: [mock:echo]",
        "defaultTest: { vars: { c: [x, y] } }",
        "tests:",
        "  - description: grid",
        "    vars: { a: [1a, 2a], b: [1b, 2b] }",
        "  - vars: { a: solo, b: [only] }",
      ),
    });
    expect(load(path).tests.map((t) => [t.index, t.description, t.vars])).toEqual([
      [0, "grid", { c: "x", a: "1a", b: "1b" }],
      [1, "grid", { c: "x", a: "1a", b: "2b" }],
      [2, "grid", { c: "x", a: "2a", b: "1b" }],
      [3, "grid", { c: "x", a: "2a", b: "2b" }],
      [4, "grid", { c: "y", a: "1a", b: "1b" }],
      [5, "grid", { c: "y", a: "1a", b: "2b" }],
      [6, "grid", { c: "y", a: "2a", b: "1b" }],
      [7, "grid", { c: "y", a: "2a", b: "2b" }],
      [8, undefined, { c: "x", a: "solo", b: "only" }],
      [9, undefined, { c: "y", a: "solo", b: "only" }],
    ]);
  });

  it("keeps lists whose first item is not a string whole (numbers, objects, empty lists)", () => {
    expect(varCombinations({ n: [1, 2], o: [{ role: "user" }], e: [], s: ["a", 2] })).toEqual([
      { n: [1, 2], o: [{ role: "user" }], e: [], s: "a" },
      { n: [1, 2], o: [{ role: "user" }], e: [], s: 2 },
    ]);
  });

  it("does not expand with options.disableVarExpansion or PROMPTFOO_DISABLE_VAR_EXPANSION", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ a }}']",
        "providers: [mock:echo]",
        "tests:",
        "  - vars: { a: [x, y] }",
        "    options: { disableVarExpansion: true }",
        "  - vars: { a: [x, y] }",
      ),
    });
    expect(load(path).tests.map((t) => t.vars.a)).toEqual([["x", "y"], "x", "y"]);
    expect(load(path, { env: { PROMPTFOO_DISABLE_VAR_EXPANSION: "true" } }).tests).toHaveLength(2);
  });

  it("adds --var values to every test, over the test's own, before expanding", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ a }}']",
        "providers: [mock:echo]",
        "tests:",
        "  - vars: { a: [x, y], b: own }",
      ),
    });
    expect(load(path, { vars: { a: "flag", c: "new" } }).tests.map((t) => t.vars)).toEqual([
      { a: "flag", b: "own", c: "new" },
    ]);
  });
});

describe("YAML as promptfoo reads it (js-yaml)", () => {
  it("resolves anchors, aliases and << merge keys", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ q }}']",
        "providers: [mock:echo]",
        "x-shared:",
        "  checks: &checks",
        "    - type: contains",
        "      value: ok",
        "  base: &base",
        "    vars: { q: base, lang: en }",
        "    threshold: 0.5",
        "tests:",
        "  - <<: *base",
        "    description: merged",
        "    assert: *checks",
        "  - vars: { q: plain }",
        "    assert: *checks",
      ),
    });
    expect(load(path).tests).toEqual([
      {
        index: 0,
        description: "merged",
        vars: { q: "base", lang: "en" },
        assert: [{ type: "contains", value: "ok" }],
        threshold: 0.5,
      },
      { index: 1, vars: { q: "plain" }, assert: [{ type: "contains", value: "ok" }] },
    ]);
  });

  it("reports a test with nothing to run, as promptfoo's readTest does", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts: ['hi']", "providers: [mock:echo]", "tests:", "  - description: nothing here"),
    });
    expect(problemsOf(path)).toEqual([
      `${path}:4: tests[0] has none of vars, assert, options, metadata or threshold`,
    ]);
  });
});
