import { describe, expect, it } from "vitest";
import type { ItemResult } from "../../src/core/types.js";
import type { AssertionSpec, EvalPrompt, EvalTest } from "../../src/eval/config/types.js";
import type { PlannedRow } from "../../src/eval/eval-plan.js";
import { scoreRow } from "../../src/eval/eval-score.js";

const answer = (output: string): ItemResult => ({
  id: "x",
  status: "ok",
  output,
  model: "echo",
  usage: { input_tokens: 3, output_tokens: 2 },
  cost_usd: 0,
  latency_ms: 5,
  attempts: 1,
  finish_reason: "stop",
  error: null,
});

function row(
  assert: AssertionSpec[],
  prompt: EvalPrompt["raw"],
  vars: Record<string, unknown> = {},
): PlannedRow {
  const test: EvalTest = { index: 0, description: "d", vars, assert };
  return {
    test,
    prompt: { id: "p", label: "p", raw: prompt },
    provider: { id: "mock:echo", label: "mock:echo", model: { provider: "mock", model: "echo" }, params: {} },
    repeat: 0,
  };
}

const options = { baseDir: process.cwd(), env: {} };
const js = (value: string): AssertionSpec => ({ type: "javascript", value });

describe("the prompt a javascript assertion sees", () => {
  it("is the rendered prompt, for a text prompt and for a chat", async () => {
    const text = await scoreRow(
      row([js("context.prompt === 'Hi Ada'")], "Hi {{ name }}", { name: "Ada" }),
      answer("x"),
      options,
    );
    expect(text.status).toBe("pass");
    const chat = row(
      [js("JSON.parse(context.prompt)[1].content === 'Hi Ada'")],
      [
        { role: "system", content: "Be brief" },
        { role: "user", content: "Hi {{ name }}" },
      ],
      { name: "Ada" },
    );
    expect((await scoreRow(chat, answer("x"), options)).status).toBe("pass");
  });

  it("is rendered only when an assertion reads it", async () => {
    // This prompt cannot render: a row whose assertions never read it grades all the same.
    const broken = (assert: AssertionSpec[]) => row(assert, "{{ q | load }}", { q: "not json" });
    const unread = await scoreRow(
      broken([{ type: "contains", value: "x" }, js("output === 'x'")]),
      answer("x"),
      options,
    );
    expect(unread).toMatchObject({ status: "pass", score: 1 });
    const read = await scoreRow(broken([js("context.prompt.length > 0")]), answer("x"), options);
    expect(read).toMatchObject({ status: "fail" });
    expect(read.reason).toMatch(/^Custom function threw error: template error/);
  });

  it("is a property of the context like the others: listed, spread, serialized and set", async () => {
    const checks = [
      "Object.keys(context).includes('prompt')",
      "({ ...context }).prompt === 'Hi'",
      "JSON.parse(JSON.stringify(context)).prompt === 'Hi'",
      "(context.prompt = 'changed', context.prompt === 'changed')",
    ];
    const graded = await scoreRow(row(checks.map(js), "Hi"), answer("x"), options);
    expect(graded.assertions.map((a) => [a.pass, a.reason])).toEqual(
      checks.map(() => [true, "Assertion passed"]),
    );
  });

  it("is fresh for each assertion: one that sets it does not change what the next one reads", async () => {
    const graded = await scoreRow(
      row([js("(context.prompt = 'changed', true)"), js("context.prompt === 'Hi'")], "Hi"),
      answer("x"),
      options,
    );
    expect(graded.status).toBe("pass");
  });
});

describe("a row's verdicts", () => {
  it("lists one verdict per assertion in the test's order, even when one assertion object is there twice", async () => {
    const twice: AssertionSpec = { type: "contains", value: "a" };
    const graded = await scoreRow(
      row([twice, { type: "contains", value: "zz" }, twice], "p"),
      answer("abc"),
      options,
    );
    expect(graded.assertions.map((a) => [a.type, a.pass])).toEqual([
      ["contains", true],
      ["contains", false],
      ["contains", true],
    ]);
  });
});
