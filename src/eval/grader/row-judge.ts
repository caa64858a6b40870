import type { ChatMessage, ModelRef } from "../../core/types.js";
import { isFileReference, readDataFile } from "../assertions/file-reference.js";
import type { AssertionSpec } from "../assertions/types.js";
import type { Grader } from "./grader.js";
import { graderModel, graderParams, type JudgePurpose } from "./grader-model.js";

/** What a test gives its model-graded assertions: `options.provider` and `options.rubricPrompt`. */
export interface JudgeTestOptions {
  provider?: unknown;
  rubricPrompt?: unknown;
}

/** The outputs a `select-best` compares: every prompt × provider of the test and repeat, and this row's place. */
export interface SelectBestGroup {
  outputs: readonly string[];
  index: number;
}

/**
 * One row's access to the judge: which grader and rubric prompt an assertion uses (its own
 * `provider` / `rubricPrompt`, else the test's `options`, else `--grader`), the calls themselves,
 * and what they cost this row (`spentUsd`, the row's `grading_cost_usd`).
 */
export class RowJudge {
  spentUsd = 0;

  constructor(
    private readonly grader: Grader,
    private readonly defaultGrader: string | undefined,
    private readonly test: { options?: JudgeTestOptions | undefined },
    /** The row's repeat: each repeat's judge calls are their own samples. */
    private readonly repeat: number,
    readonly baseDir: string,
    readonly selectBest?: SelectBestGroup | undefined,
    /** Names the row to the grader, which charges a call shared by rows to one of them, the same on a rerun. */
    private readonly payer?: string | undefined,
  ) {}

  /** The grader model for an assertion (throws, naming the problem, when there is none). */
  model(spec: AssertionSpec, purpose: JudgePurpose): ModelRef {
    const given = judgeProviderOf(spec, this.test, this.defaultGrader);
    if (given === undefined) throw new Error(NO_GRADER);
    const model = graderModel(given, purpose);
    if (!model.ok) throw new Error(model.problem);
    return model.ref;
  }

  /** The assertion's `rubricPrompt` (or the test's), read from its `file://` file, as text; undefined for the default. */
  rubricPrompt(spec: AssertionSpec): unknown {
    const prompt = spec.rubricPrompt ?? this.test.options?.rubricPrompt;
    if (prompt === undefined || prompt === null || prompt === "") return undefined;
    if (typeof prompt === "object" && Object.keys(prompt).length === 0) return undefined;
    if (typeof prompt === "string" && isFileReference(prompt)) {
      const read = readDataFile(prompt, this.baseDir);
      return typeof read === "string" ? read : JSON.stringify(read);
    }
    return prompt;
  }

  async complete(spec: AssertionSpec, messages: ChatMessage[]): Promise<string> {
    const params = graderParams(judgeProviderOf(spec, this.test, this.defaultGrader));
    if (!params.ok) throw new Error(params.problem);
    const answer = await this.grader.complete(
      this.model(spec, "text"),
      messages,
      this.repeat,
      params.params,
      this.payer,
    );
    this.spentUsd += answer.costUsd;
    return answer.text;
  }

  async embed(spec: AssertionSpec, text: string): Promise<number[]> {
    const answer = await this.grader.embed(this.model(spec, "embedding"), text, this.payer);
    this.spentUsd += answer.costUsd;
    return answer.vector;
  }
}

export const NO_GRADER =
  "no grader for this model-graded assertion: give --grader <provider:model>, metasync.grader, defaultTest.options.provider or the assertion's provider";

/** The grader an assertion names, in promptfoo's order: its own `provider`, the test's, then the default. */
export function judgeProviderOf(
  spec: AssertionSpec,
  test: { options?: JudgeTestOptions | undefined },
  defaultGrader: string | undefined,
): unknown {
  return spec.provider ?? test.options?.provider ?? defaultGrader;
}
