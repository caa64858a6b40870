import { roughTokens } from "../../providers/mock/index.js";
import { mockJudgeAnswer } from "../../providers/mock/mock-judge.js";
import type { Answer, ParsedRequest } from "./dialect.js";

/**
 * The mock server's judge: a model whose name starts with `grader` (`grader`, `grader-noisy`…)
 * answers promptfoo's grader prompts as `mock:grader` does (`providers/mock/mock-judge.ts`), without
 * noise; any other request, or a prompt it does not know, is undefined (the echo answers it).
 */
export function graderAnswer(request: ParsedRequest, id: string): Answer | undefined {
  if (!request.model.startsWith("grader")) return undefined;
  const text = mockJudgeAnswer(request.prompt, { noise: 0, seed: 0 });
  if (text === undefined) return undefined;
  return {
    id,
    text,
    inputTokens: roughTokens(request.prompt),
    outputTokens: roughTokens(text),
    stop: "stop",
    stopSequence: undefined,
  };
}
