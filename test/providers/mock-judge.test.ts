import { describe, expect, it } from "vitest";
import { createProvider } from "../../providers/mock/index.js";
import { mockEmbedding } from "../../providers/mock/mock-embedding.js";
import { mockJudgeAnswer } from "../../providers/mock/mock-judge.js";
import { DEFAULT_GRADING_PROMPT } from "../../src/eval/grader/grader-prompts.js";
import { judgeMessages } from "../../src/eval/grader/model-graded.js";

function rubricPrompt(output: string, rubric: string): string {
  return judgeMessages(DEFAULT_GRADING_PROMPT, { output, rubric })
    .map((m) => m.content)
    .join("\n");
}

describe("the mock judge", () => {
  it("answers promptfoo's rubric prompt by the rubric's quoted phrases", () => {
    expect(
      JSON.parse(
        mockJudgeAnswer(rubricPrompt("Refunds take 30 days", 'says "refund" and "30 days"'), {
          noise: 0,
          seed: 0,
        }) ?? "",
      ),
    ).toEqual({
      reason: "The output meets the rubric.",
      pass: true,
      score: 1,
    });
    expect(
      JSON.parse(
        mockJudgeAnswer(rubricPrompt("Hello", 'says "refund" and "30 days"'), { noise: 0, seed: 0 }) ?? "",
      ),
    ).toEqual({
      reason: 'The output does not meet the rubric: it lacks "refund", "30 days".',
      pass: false,
      score: 0,
    });
    expect(mockJudgeAnswer("What is 2 + 2?", { noise: 0, seed: 0 })).toBeUndefined();
  });

  it("turns verdicts around with the noise asked, drawn from the seed and request, not the order of calls", () => {
    const prompts = Array.from({ length: 400 }, (_, i) => rubricPrompt(`answer ${i}`, "anything"));
    const verdicts = (seed: number, order: string[]) =>
      new Map(
        order.map((p) => [p, JSON.parse(mockJudgeAnswer(p, { noise: 0.25, seed }) ?? "").pass as boolean]),
      );
    const forward = verdicts(7, prompts);
    const backward = verdicts(7, [...prompts].reverse());
    expect([...forward]).toEqual([...prompts].map((p) => [p, backward.get(p)]));
    const flipped = [...forward.values()].filter((pass) => !pass).length;
    expect(flipped).toBeGreaterThan(60);
    expect(flipped).toBeLessThan(140);
    // Another seed draws differently; another sample of one request too.
    expect([...verdicts(8, prompts).values()]).not.toEqual([...forward.values()]);
    const samples = Array.from(
      { length: 40 },
      (_, sample) =>
        JSON.parse(mockJudgeAnswer(prompts[0] ?? "", { noise: 0.5, seed: 7, sample }) ?? "").pass,
    );
    expect(new Set(samples).size).toBe(2);
  });

  it("mock:grader answers through the provider; every mock model embeds", async () => {
    const provider = createProvider({});
    const signal = new AbortController().signal;
    const messages = judgeMessages(DEFAULT_GRADING_PROMPT, { output: "a refund", rubric: '"refund"' });
    const verdict = await provider.complete({ model: "grader?noise=0", messages, params: {} }, { signal });
    expect(JSON.parse(verdict.text)).toMatchObject({ pass: true });
    const embedded = await provider.embed?.(
      { model: "echo", messages: [{ role: "user", content: "refund policy" }], params: {} },
      { signal },
    );
    expect(JSON.parse(embedded?.text ?? "")).toEqual(mockEmbedding("refund policy"));
    const a = mockEmbedding("our refund policy");
    const b = mockEmbedding("the refund policy");
    const cosine = a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
    expect(cosine).toBeGreaterThan(0.5);
    expect(mockEmbedding("")).toEqual(new Array(64).fill(0));
  });
});
