import { UsageError } from "../core/errors.js";
import { formatModelRef, type ItemRequest, type ItemResult, type ModelRef } from "../core/types.js";
import { DEFAULT_OUTPUT_CAP } from "../cost/item-cost.js";
import { promptTokensAtMost } from "../cost/rough-prompt-tokens.js";
import type { AssertionSpec } from "../eval/assertions/types.js";
import { Grader, type JudgeCallLog } from "../eval/grader/grader.js";
import { graderModel, graderParams } from "../eval/grader/grader-model.js";
import * as GRADER_PROMPTS from "../eval/grader/grader-prompts.js";
import { judgedAssertions } from "../eval/grader/judge-plan.js";
import { judgeCallsPerRow } from "../eval/grader/model-graded.js";
import { judgeProviderOf, NO_GRADER, RowJudge } from "../eval/grader/row-judge.js";
import type { SendingSession } from "../session/sending-session.js";
import type { Journal } from "./journal.js";
import type { SpendPlan } from "./spend-plan.js";

/** A row's test as the scorer grades it: its assertions, threshold and `options` (the judge, the rubric prompt). */
export interface ScoredTest {
  assert: AssertionSpec[];
  threshold?: number | undefined;
  options?: { provider?: unknown; rubricPrompt?: unknown } | undefined;
}

/** The longest of promptfoo's grader prompts: what a judge call's prompt holds before the row's text. */
const GRADER_PROMPT_BYTES = Math.max(
  ...Object.values(GRADER_PROMPTS).map((p) => Buffer.byteLength(String(p))),
);

/** The bytes an answer token may take once it is text in a judge's prompt (the reservation's bound). */
const BYTES_PER_ANSWER_TOKEN = 4;

/**
 * The judge checks of tests (model-graded assertions), before anything is sent: each judged
 * assertion has a grader (its own `provider`, the test's `options.provider`, else `--grader`) that
 * metasync can call. `select-best` is refused: it compares the outputs of several prompts, and an
 * optimization scores one prompt at a time. Returns the grader models, for the session and prices.
 */
export function judgeModelsOf(
  tests: readonly { test: ScoredTest; where: string }[],
  defaultGrader: string | undefined,
): ModelRef[] {
  const models = new Map<string, ModelRef>();
  for (const { test, where } of tests) {
    for (const { spec, baseType, purpose } of judgedAssertions(test)) {
      if (baseType === "select-best") {
        throw new UsageError(
          `${where}: "select-best" compares the outputs of several prompts; optimize scores one prompt at a time — use llm-rubric, g-eval or factuality`,
        );
      }
      const chosen = judgeProviderOf(spec, test, defaultGrader);
      if (chosen === undefined) throw new UsageError(`${where}: ${NO_GRADER}`);
      const model = graderModel(chosen, purpose);
      if (!model.ok) throw new UsageError(`${where}: ${model.problem}`);
      const params = graderParams(chosen);
      if (!params.ok) throw new UsageError(`${where}: ${params.problem}`);
      models.set(formatModelRef(model.ref), model.ref);
    }
  }
  return [...models.values()];
}

/**
 * optimize's judge: eval's `Grader` over the optimization's one sending session, its answers kept
 * in the optimization's journal (role `judge`), so a rerun replays every verdict and pays nothing
 * twice. It counts which judge calls a grading used, for the logical cost by role.
 */
export class OptimizeJudge {
  readonly grader: Grader;
  /** Judge calls answered or replayed since the last `takeUsed`. */
  private used = new Set<string>();

  constructor(
    private readonly journal: Journal,
    readonly defaultGrader: string | undefined,
    private readonly baseDir: string,
    session: () => Promise<SendingSession>,
    endpoints: Record<string, string[]>,
    signal: AbortSignal | undefined,
  ) {
    const used = () => this.used;
    const log: JudgeCallLog = {
      given(hash) {
        const result = journal.get(hash);
        if (result) used().add(hash);
        return result;
      },
      cached: () => undefined,
      save(hash, result: ItemResult) {
        journal.record(hash, "judge", result);
        if (result.status === "ok") used().add(hash);
      },
    };
    this.grader = new Grader({
      session,
      log,
      cache: false,
      endpoints: (provider) => endpoints[provider],
      signal,
    });
  }

  /** The judge a row's assertions use. */
  rowJudge(test: ScoredTest): RowJudge {
    return new RowJudge(this.grader, this.defaultGrader, test, 0, this.baseDir);
  }

  /** The judge calls used since the last call, sorted (so sums of their costs are in a fixed order). */
  takeUsed(): { hash: string; result: ItemResult }[] {
    const hashes = [...this.used].sort();
    this.used = new Set();
    return hashes.flatMap((hash) => {
      const result = this.journal.get(hash);
      return result ? [{ hash, result }] : [];
    });
  }

  /**
   * The worst case of grading one answer to `request` under `test`: each judge call of each judged
   * assertion with every byte of its prompt a token — the longest grader prompt (or the test's own
   * rubric prompt), the row's vars, the assertion's value, the task prompt twice and the answer at
   * its output cap (4 bytes a token) — and its `max_tokens` (or 4096) output tokens.
   */
  worstUsd(test: ScoredTest, vars: Readonly<Record<string, unknown>>, request: ItemRequest, plan: SpendPlan) {
    const judged = judgedAssertions(test);
    if (judged.length === 0) return 0;
    const judge = this.rowJudge(test);
    const rowBytes =
      Buffer.byteLength(JSON.stringify(vars)) +
      2 * promptTokensAtMost(request) +
      BYTES_PER_ANSWER_TOKEN * (request.params.max_tokens ?? DEFAULT_OUTPUT_CAP);
    let usd = 0;
    for (const { spec, baseType, purpose } of judged) {
      const chosen = judgeProviderOf(spec, test, this.defaultGrader);
      const model = graderModel(chosen, purpose);
      if (!model.ok) continue;
      const params = graderParams(chosen);
      const maxTokens = (params.ok ? params.params.max_tokens : undefined) ?? DEFAULT_OUTPUT_CAP;
      const custom = judge.rubricPrompt(spec);
      const promptBytes =
        (custom === undefined ? GRADER_PROMPT_BYTES : Buffer.byteLength(JSON.stringify(custom))) +
        Buffer.byteLength(JSON.stringify(spec.value ?? "")) +
        rowBytes +
        BYTES_PER_ANSWER_TOKEN * maxTokens;
      usd += judgeCallsPerRow(baseType, spec.value) * plan.worstOfBytes(model.ref, promptBytes, maxTokens);
    }
    return usd;
  }
}
