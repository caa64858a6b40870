import { createHash } from "node:crypto";
import { UsageError } from "../core/errors.js";
import type { ModelRef } from "../core/types.js";
import { checkAssertion, scoreTest } from "../eval/assertions/index.js";
import type { AssertionSpec } from "../eval/assertions/types.js";
import { assertionFromString } from "../eval/config/assertion-string.js";
import type { RowJudge } from "../eval/grader/row-judge.js";
import { renderTemplate } from "../eval/render.js";
import type { DataRow } from "./dataset.js";
import { judgeModelsOf, type ScoredTest } from "./judge.js";

type Env = Readonly<Record<string, string | undefined>>;

/** One answer graded: a score from 0 to 1, pass or fail, and the reason the proposer is shown. */
export interface Grade {
  score: number;
  pass: boolean;
  reason: string;
}

/** What grading an answer may look at beside the answer: its latency, cost and the rendered task prompt. */
export interface AnswerFacts {
  latencyMs: number;
  costUsd: number | null;
  /** The task prompt as text (what `factuality` and `model-graded-closedqa` show the judge). */
  prompt: string;
}

/**
 * The seam where optimize's scores come from: eval's assertions, with promptfoo's semantics —
 * the deterministic ones, and the model-graded ones (`llm-rubric`, `g-eval`, `factuality`,
 * `similar`…) whose judge is eval's grader over the optimization's session (`judge.ts`).
 */
export interface Scorer {
  /** A hash of what the scorer checks (the default grader too): a changed scorer refuses to resume. */
  readonly fingerprint: string;
  /** What a row is expected to give, as the proposer is shown it. */
  expected(row: DataRow): string;
  /** The row's test: its assertions, threshold and judge options. */
  test(row: DataRow): ScoredTest;
  /** The grader models of its judged assertions; exit 2 naming the test when one has none or cannot be called. */
  judgeModels(): ModelRef[];
  /** `--grader` (or the config's `metasync.grader`): the judge of assertions that name none. */
  readonly defaultGrader: string | undefined;
  grade(output: string, row: DataRow, facts: AnswerFacts, judge?: RowJudge): Promise<Grade>;
}

/**
 * `--assert` values (eval's CSV `__expected` syntax: `equals:{{label}}`, `icontains:{{city}}`,
 * `javascript:file://score.js`) graded by eval's assertion library with promptfoo's semantics.
 */
export class AssertionScorer implements Scorer {
  readonly fingerprint: string;

  private constructor(
    private readonly specs: AssertionSpec[],
    private readonly options: ScorerOptions,
    texts: readonly string[],
  ) {
    this.fingerprint = createHash("sha256")
      .update(JSON.stringify([texts, options.grader ?? null]))
      .digest("hex")
      .slice(0, 16);
  }

  /** Checks every assertion before anything is sent (exit 2 with the first problem). */
  static from(texts: readonly string[], options: ScorerOptions): AssertionScorer {
    if (texts.length === 0) {
      throw new UsageError(
        "optimize needs at least one --assert (e.g. --assert 'equals:{{label}}') to score answers",
      );
    }
    const specs = texts.map((text, i) => {
      const spec = assertionFromString(text);
      const problem = checkAssertion(spec, `--assert #${i + 1} (${text})`, {
        baseDir: options.baseDir,
        env: options.env,
      });
      if (problem) throw new UsageError(problem);
      return spec;
    });
    return new AssertionScorer(specs, options, texts);
  }

  expected(row: DataRow): string {
    return expectedText(this.specs, row.vars, this.options.env);
  }

  test(): ScoredTest {
    return { assert: this.specs };
  }

  get defaultGrader(): string | undefined {
    return this.options.grader;
  }

  judgeModels(): ModelRef[] {
    return judgeModelsOf([{ test: this.test(), where: "--assert" }], this.options.grader);
  }

  grade(output: string, row: DataRow, facts: AnswerFacts, judge?: RowJudge): Promise<Grade> {
    return gradeWith(this.test(), output, row.vars, facts, this.options, judge);
  }
}

/**
 * An eval config's tests as the scorer: each row (a test) graded by its own assertions and
 * threshold (`defaultTest` merged in), with promptfoo's semantics.
 */
export class TestScorer implements Scorer {
  readonly fingerprint: string;

  constructor(
    private readonly tests: readonly ScoredTest[],
    private readonly options: ScorerOptions,
  ) {
    this.fingerprint = createHash("sha256")
      .update(
        JSON.stringify([
          tests.map((t) => [t.assert, t.threshold ?? null, t.options ?? null]),
          options.grader ?? null,
        ]),
      )
      .digest("hex")
      .slice(0, 16);
    tests.forEach((test, i) => {
      if (test.assert.length === 0)
        throw new UsageError(`test ${i} has no assertions: optimize needs a score for every test`);
    });
  }

  expected(row: DataRow): string {
    return expectedText(this.tests[row.index]?.assert ?? [], row.vars, this.options.env);
  }

  test(row: DataRow): ScoredTest {
    return this.tests[row.index] as ScoredTest;
  }

  get defaultGrader(): string | undefined {
    return this.options.grader;
  }

  judgeModels(): ModelRef[] {
    return judgeModelsOf(
      this.tests.map((test, i) => ({ test, where: `test ${i}` })),
      this.options.grader,
    );
  }

  grade(output: string, row: DataRow, facts: AnswerFacts, judge?: RowJudge): Promise<Grade> {
    return gradeWith(this.test(row), output, row.vars, facts, this.options, judge);
  }
}

/** Where `file://` values are read, the environment, and `--grader` (the judge of assertions naming none). */
export interface ScorerOptions {
  baseDir: string;
  env: Env;
  grader?: string | undefined;
}

/** The first assertion with a text value, rendered: what the proposer is told the answer should be. */
function expectedText(
  specs: readonly AssertionSpec[],
  vars: Readonly<Record<string, unknown>>,
  env: Env,
): string {
  const spec = specs.find((s) => typeof s.value === "string");
  if (!spec) return specs.map((s) => s.type).join(", ");
  const value = renderTemplate(spec.value as string, vars, { env });
  return spec.type === "equals" ? value : `${spec.type}: ${value}`;
}

async function gradeWith(
  test: ScoredTest,
  output: string,
  vars: Readonly<Record<string, unknown>>,
  facts: AnswerFacts,
  options: ScorerOptions,
  judge: RowJudge | undefined,
): Promise<Grade> {
  {
    const grade = await scoreTest(
      { assert: test.assert, ...(test.threshold !== undefined ? { threshold: test.threshold } : {}) },
      {
        output,
        vars: vars as Record<string, unknown>,
        prompt: facts.prompt,
        latencyMs: facts.latencyMs,
        costUsd: facts.costUsd,
        render: (template) => renderTemplate(template, vars, { env: options.env }),
        baseDir: options.baseDir,
        test: { vars: vars as Record<string, unknown> },
        env: options.env,
        judge,
      },
    );
    return { score: grade.error ? 0 : grade.score, pass: grade.pass && !grade.error, reason: grade.reason };
  }
}
