import { describe, expect, it } from "vitest";
import type { ChatMessage, ModelRef } from "../../../src/core/types.js";
import { scoreTest } from "../../../src/eval/assertions/index.js";
import type { AssertionContext, AssertionSpec } from "../../../src/eval/assertions/types.js";
import type { Grader } from "../../../src/eval/grader/grader.js";
import { RowJudge, type SelectBestGroup } from "../../../src/eval/grader/row-judge.js";

/** A grader that answers from a script and keeps what it was asked. */
function scripted(replies: string[]) {
  const asked: { model: ModelRef; messages: ChatMessage[]; sample: number | undefined; params: unknown }[] =
    [];
  const grader = {
    async complete(model: ModelRef, messages: ChatMessage[], sample?: number, params?: unknown) {
      asked.push({ model, messages, sample, params });
      return { text: replies.shift() ?? "", costUsd: 0.01 };
    },
    async embed(_model: ModelRef, text: string) {
      return { vector: text.includes("refund") ? [1, 0] : [0, 1], costUsd: 0.001 };
    },
  } as unknown as Grader;
  return { grader, asked };
}

function context(judge: RowJudge, output: string): AssertionContext {
  return {
    output,
    vars: { topic: "refunds" },
    prompt: "Tell me about refunds",
    render: (t) => t.replace("{{ topic }}", "refunds"),
    baseDir: "/",
    judge,
  };
}

async function grade(
  specs: AssertionSpec[],
  replies: string[],
  options: { group?: SelectBestGroup; test?: object } = {},
) {
  const { grader, asked } = scripted(replies);
  const judge = new RowJudge(grader, "openai:gpt-4o-mini", options.test ?? {}, 2, "/", options.group);
  const result = await scoreTest({ assert: specs }, context(judge, "We refund in 30 days."));
  return { result, asked, judge };
}

describe("model-graded assertions send promptfoo's grader prompts", () => {
  it("llm-rubric: the rubric prompt with <Output> and <Rubric>, to the default grader, as the row's sample", async () => {
    const { result, asked, judge } = await grade(
      [{ type: "llm-rubric", value: "mentions {{ topic }}" }],
      ['{"reason": "it does", "pass": true, "score": 1}'],
    );
    expect(result).toMatchObject({ pass: true, score: 1, reason: "All assertions passed" });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.model).toEqual({ provider: "openai", model: "gpt-4o-mini" });
    expect(asked[0]?.sample).toBe(2);
    const [system, user] = asked[0]?.messages ?? [];
    expect(system?.role).toBe("system");
    expect(system?.content).toMatch(/^You are grading output according to a user-specified rubric\./);
    expect(user).toEqual({
      role: "user",
      content: "<Output>\nWe refund in 30 days.\n</Output>\n<Rubric>\nmentions refunds\n</Rubric>",
    });
    expect(judge.spentUsd).toBeCloseTo(0.01);
  });

  it("a malformed verdict is an error, never a pass", async () => {
    const { result } = await grade([{ type: "llm-rubric", value: "x" }], ["Looks good to me!"]);
    expect(result).toMatchObject({
      pass: false,
      error: true,
      reason: "Could not extract JSON from llm-rubric response",
    });
  });

  it("the assertion's provider and rubricPrompt win over the test's and the default", async () => {
    const { asked } = await grade(
      [
        {
          type: "llm-rubric",
          value: "is short",
          provider: "anthropic:messages:claude-haiku-4-5",
          rubricPrompt: [{ role: "user", content: "Grade {{ output }} by: {{ rubric }}" }],
        },
      ],
      ['{"pass": true}'],
      { test: { options: { provider: "openai:gpt-4o" } } },
    );
    expect(asked[0]?.model).toEqual({ provider: "anthropic", model: "claude-haiku-4-5" });
    expect(asked[0]?.messages).toEqual([
      { role: "user", content: "Grade We refund in 30 days. by: is short" },
    ]);
  });

  it("a grader's config gives the judge call's parameters; a key metasync does not send is an error", async () => {
    const provider = { id: "openai:chat:gpt-4o-mini", config: { temperature: 0, max_tokens: 50 } };
    const { asked } = await grade([{ type: "llm-rubric", value: "x", provider }], ['{"pass": true}']);
    expect(asked[0]?.params).toEqual({ temperature: 0, max_tokens: 50 });
    const bad = await grade(
      [{ type: "llm-rubric", value: "x", provider: { id: "openai:gpt-4o", config: { tools: [] } } }],
      [],
    );
    expect(bad.result).toMatchObject({
      error: true,
      reason: expect.stringMatching(/^grader config "tools" is not supported/),
    });
  });

  it("factuality and closedqa: the prompt as input, the value as the expert answer or criterion", async () => {
    const fact = await grade(
      [{ type: "factuality", value: "30 days" }],
      ['{"category": "A", "reason": "subset"}'],
    );
    expect(fact.result).toMatchObject({ pass: true, score: 1 });
    const factText = fact.asked[0]?.messages.map((m) => m.content).join("\n") ?? "";
    expect(factText).toContain("<question>\nTell me about refunds\n</question>");
    expect(factText).toContain("<expert_answer>\n30 days\n</expert_answer>");
    expect(factText).toContain("<submitted_answer>\nWe refund in 30 days.\n</submitted_answer>");

    const qa = await grade([{ type: "model-graded-closedqa", value: "is polite" }], ["Polite enough.\nN\nN"]);
    expect(qa.result).toMatchObject({ pass: false, score: 0 });
    expect(qa.asked[0]?.messages[0]?.content).toContain(
      "[Task]: Tell me about refunds\n***\n[Submission]: We refund in 30 days.\n***\n[Criterion]: is polite",
    );
  });

  it("g-eval: steps first, then the score; the threshold defaults to 0.7 and 0 is 0", async () => {
    const { result, asked } = await grade(
      [{ type: "g-eval", value: "coherent" }],
      ['{"steps": ["read", "judge"]}', '{"score": 6, "reason": "fair"}'],
    );
    expect(result).toMatchObject({ pass: false, score: 0.6, reason: "fair" });
    expect(asked[0]?.messages[0]?.content).toContain("**EVALUATION CRITERIA**\ncoherent");
    expect(asked[1]?.messages[0]?.content).toContain("**Evaluation Steps**\n- read\n- judge");
    const zero = await grade(
      [{ type: "g-eval", value: "coherent", threshold: 0 }],
      ['{"steps": ["read"]}', '{"score": 0, "reason": "none"}'],
    );
    expect(zero.result).toMatchObject({ pass: true, score: 0 });
  });

  it("select-best: one prompt listing every output; the chosen one passes", async () => {
    const group = { outputs: ["a", "We refund in 30 days."], index: 1 };
    const { result, asked } = await grade([{ type: "select-best", value: "most useful" }], ["1"], { group });
    expect(result).toMatchObject({ pass: true, reason: "All assertions passed" });
    expect(asked[0]?.messages[0]?.content).toContain('<Text index="0">\na\n</Text>');
    const lost = await grade([{ type: "select-best", value: "most useful" }], ["0"], { group });
    expect(lost.result).toMatchObject({ pass: false, reason: "Output not selected: most useful" });
    const alone = await grade([{ type: "select-best", value: "x" }], ["0"]);
    expect(alone.result).toMatchObject({
      error: true,
      reason: "select-best assertion must have at least two outputs to compare between",
    });
  });

  it("similar: embeddings compared by cosine, 0.75 by default; not-similar turns it around", async () => {
    const near = await grade([{ type: "similar", value: "refund policy" }], []);
    expect(near.result).toMatchObject({ pass: true, score: 1 });
    const far = await grade([{ type: "similar", value: ["hello", "hi"] }], []);
    expect(far.result).toMatchObject({
      pass: false,
      score: 0,
      reason: "None of the provided values met the similarity threshold",
    });
    const negated = await grade([{ type: "not-similar", value: "hello" }], []);
    expect(negated.result).toMatchObject({ pass: true, score: 1 });
  });

  it("no grader anywhere is an error naming where to give one", async () => {
    const { grader } = scripted([]);
    const judge = new RowJudge(grader, undefined, {}, 0, "/");
    const result = await scoreTest({ assert: [{ type: "llm-rubric", value: "x" }] }, context(judge, "x"));
    expect(result).toMatchObject({
      error: true,
      reason: expect.stringMatching(/^no grader for this model-graded assertion: give --grader/),
    });
  });
});
