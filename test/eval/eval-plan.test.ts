import { describe, expect, it } from "vitest";
import type { EvalConfig, EvalTest } from "../../src/eval/config/types.js";
import { EvalFingerprint, evalFingerprint } from "../../src/eval/eval-fingerprint.js";
import { type PlannedRow, planRows, RowKeys, rowItems, rowKey } from "../../src/eval/eval-plan.js";

const provider = (id: string, temperature?: number) => ({
  id,
  label: id,
  model: { provider: "mock", model: id.slice("mock:".length) },
  params: temperature === undefined ? {} : { temperature },
});

function config(overrides: Partial<EvalConfig> = {}): EvalConfig {
  return {
    path: "c.yaml",
    baseDir: "/tmp",
    prompts: [
      { id: "a", label: "a", raw: "A {{ q }}" },
      { id: "b", label: "b", raw: "B {{ q }}" },
    ],
    providers: [provider("mock:echo"), provider("mock:other")],
    tests: [0, 1, 2].map((index) => ({
      index,
      description: `t${index}`,
      vars: { q: `q${index}` },
      assert: [{ type: "contains", value: `q${index}` }],
    })),
    metasync: {},
    ...overrides,
  };
}

/** The rows as the nested loops over tests, prompts, providers and repeats list them. */
function loops(c: EvalConfig, repeat: number): PlannedRow[] {
  const rows: PlannedRow[] = [];
  for (const test of c.tests)
    for (const prompt of c.prompts)
      for (const p of c.providers)
        for (let r = 0; r < repeat; r++) rows.push({ test, prompt, provider: p, repeat: r });
  return rows;
}

describe("the row plan", () => {
  it("lists each test, then each prompt, then each provider, then each repeat, without holding the rows", () => {
    const c = config();
    const plan = planRows(c, 2);
    expect(plan.size).toBe(24);
    expect([...plan]).toEqual(loops(c, 2));
    expect(plan.row(5)).toEqual(loops(c, 2)[5]);
    expect(plan.row(24)).toBeUndefined();
    expect(plan.row(-1)).toBeUndefined();
  });

  it("chooses tests with a failing row first, then the pattern, then the first n", () => {
    const c = config();
    const failing = new Set([rowKey(loops(c, 1)[4] as PlannedRow), rowKey(loops(c, 1)[9] as PlannedRow)]);
    expect([...planRows(c, 1, { failing })].map((row) => row.test.index)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    const plan = planRows(c, 1, { failing, pattern: /t2/, prompts: /b/, providers: /other/ });
    expect([...plan].map((r) => [r.test.index, r.prompt.id, r.provider.id])).toEqual([
      [2, "b", "mock:other"],
    ]);
    expect(planRows(c, 1, { firstN: 1 }).size).toBe(4);
  });

  it("keys rows as rowKey does, hashing a test once", () => {
    const keys = new RowKeys();
    for (const row of loops(config(), 2)) expect(keys.key(row)).toBe(rowKey(row));
    expect(rowKey(loops(config(), 1)[0] as PlannedRow)).toMatch(/^[0-9a-f]{16}\|a\|mock:echo\|0$/);
  });
});

describe("the rows' items", () => {
  it("are each row's prompt rendered with its test's vars, made one at a time", () => {
    const c = config();
    const problems: string[] = [];
    const items = [...rowItems(c, planRows(c, 2), {}, problems)];
    expect(problems).toEqual([]);
    expect(items).toHaveLength(24);
    expect(items[0]).toEqual({
      index: 0,
      id: "0:0:0:0",
      line: 1,
      request: {
        model: { provider: "mock", model: "echo" },
        messages: [{ role: "user", content: "A q0" }],
        params: {},
      },
    });
    expect(items[7]).toMatchObject({
      index: 7,
      id: "0:1:1:1",
      request: { model: { model: "other" }, messages: [{ role: "user", content: "B q0" }], sample: 1 },
    });
  });

  it("leave out a row whose prompt does not render, and say why, row by row", () => {
    const c = config({ prompts: [{ id: "j", label: "j", raw: "{{ q | load }}" }] });
    c.tests[1] = { ...(c.tests[1] as EvalTest), vars: { q: "[1]" } };
    const problems: string[] = [];
    const items = [...rowItems(c, planRows(c, 1), {}, problems)];
    expect(items.map((item) => item.id)).toEqual(["1:0:0:0", "1:0:1:0"]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^c\.yaml: test 0 \("t0"\), prompt j: template error/);
  });
});

describe("the eval's fingerprint (a changed config starts a new eval, an unchanged one resumes)", () => {
  const fingerprint = (c: EvalConfig, env: Record<string, string> = {}, repeat = 1) =>
    evalFingerprint(planRows(c, repeat), env);
  const base = fingerprint(config());
  const withTest = (change: (test: EvalTest) => EvalTest) => {
    const c = config();
    c.tests[1] = change(c.tests[1] as EvalTest);
    return fingerprint(c);
  };

  it("stays the same for the same config, its metadata, and variables no template reads", () => {
    expect(fingerprint(config())).toBe(base);
    expect(withTest((t) => ({ ...t, metadata: { team: "x" } }))).toBe(base);
    expect(fingerprint(config(), { HOME: "/elsewhere" })).toBe(base);
  });

  it("changes with a test's assertion, vars, threshold or description", () => {
    expect(withTest((t) => ({ ...t, assert: [{ type: "contains", value: "other" }] }))).not.toBe(base);
    expect(withTest((t) => ({ ...t, assert: [...t.assert, { type: "regex", value: "x" }] }))).not.toBe(base);
    expect(withTest((t) => ({ ...t, vars: { q: "changed" } }))).not.toBe(base);
    expect(withTest((t) => ({ ...t, threshold: 0.5 }))).not.toBe(base);
    expect(withTest((t) => ({ ...t, description: "renamed" }))).not.toBe(base);
  });

  it("changes with a prompt's text or label, a provider's model or parameters, the repeats and the rows chosen", () => {
    const c = config();
    expect(
      fingerprint({ ...c, prompts: [{ id: "a", label: "a", raw: "A2 {{ q }}" }, c.prompts[1]!] }),
    ).not.toBe(base);
    expect(
      fingerprint({ ...c, prompts: [{ id: "a", label: "a2", raw: "A {{ q }}" }, c.prompts[1]!] }),
    ).not.toBe(base);
    expect(fingerprint({ ...c, providers: [provider("mock:echo", 0.2), c.providers[1]!] })).not.toBe(base);
    expect(fingerprint(c, {}, 2)).not.toBe(base);
    expect(evalFingerprint(planRows(c, 1, { firstN: 2 }), {})).not.toBe(base);
  });

  it("is the same fed one test at a time (as the config is read) as from the plan", () => {
    const c = config();
    const fed = new EvalFingerprint();
    for (const test of c.tests) fed.addTest(test);
    expect(fed.digest(planRows(c, 1), {})).toBe(base);
  });

  it("changes with an environment variable a template reads", () => {
    const c = config({ prompts: [{ id: "a", label: "a", raw: "{{ env.TONE }} {{ q }}" }] });
    expect(fingerprint(c, { TONE: "calm" })).not.toBe(fingerprint(c, { TONE: "loud" }));
    expect(fingerprint(c, { TONE: "calm", OTHER: "1" })).toBe(fingerprint(c, { TONE: "calm", OTHER: "2" }));
    const anyVar = config({
      prompts: [{ id: "a", label: "a", raw: "{% for k, v in env %}{{ k }}{% endfor %}" }],
    });
    expect(fingerprint(anyVar, { OTHER: "1" })).not.toBe(fingerprint(anyVar, { OTHER: "2" }));
    const inVar = config();
    inVar.tests[0] = { ...(inVar.tests[0] as EvalTest), vars: { q: "{{ env['TONE'] }}" } };
    expect(fingerprint(inVar, { TONE: "calm" })).not.toBe(fingerprint(inVar, { TONE: "loud" }));
  });
});
