import { createHash } from "node:crypto";
import { UsageError } from "../core/errors.js";
import { checkAssertion, MODEL_GRADED_TYPES, scoreTest } from "../eval/assertions/index.js";
import type { AssertionSpec } from "../eval/assertions/types.js";
import { assertionFromString } from "../eval/config/assertion-string.js";
import { renderTemplate } from "../eval/render.js";
import type { DataRow } from "./dataset.js";

type Env = Readonly<Record<string, string | undefined>>;

/** One answer graded: a score from 0 to 1, pass or fail, and the reason the proposer is shown. */
export interface Grade {
  score: number;
  pass: boolean;
  reason: string;
}

/**
 * The seam where optimize's scores come from. Today: eval's deterministic assertions
 * (`AssertionScorer`). Model-graded assertions (a judge called through the session) plug in here
 * as another Scorer once eval's grader exists.
 */
export interface Scorer {
  /** A hash of what the scorer checks: a changed scorer refuses to resume. */
  readonly fingerprint: string;
  /** What a row is expected to give, as the proposer is shown it. */
  expected(row: DataRow): string;
  grade(output: string, row: DataRow, facts: { latencyMs: number; costUsd: number | null }): Promise<Grade>;
}

/**
 * `--assert` values (eval's CSV `__expected` syntax: `equals:{{label}}`, `icontains:{{city}}`,
 * `javascript:file://score.js`) graded by eval's assertion library with promptfoo's semantics.
 */
export class AssertionScorer implements Scorer {
  readonly fingerprint: string;

  private constructor(
    private readonly specs: AssertionSpec[],
    private readonly options: { baseDir: string; env: Env },
    texts: readonly string[],
  ) {
    this.fingerprint = createHash("sha256").update(JSON.stringify(texts)).digest("hex").slice(0, 16);
  }

  /** Checks every assertion before anything is sent (exit 2 with the first problem). */
  static from(texts: readonly string[], options: { baseDir: string; env: Env }): AssertionScorer {
    if (texts.length === 0) {
      throw new UsageError(
        "optimize needs at least one --assert (e.g. --assert 'equals:{{label}}') to score answers",
      );
    }
    const specs = texts.map((text, i) => {
      const spec = assertionFromString(text);
      refuseJudge(spec, `--assert ${text}`);
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

  grade(output: string, row: DataRow, facts: { latencyMs: number; costUsd: number | null }): Promise<Grade> {
    return gradeWith({ assert: this.specs }, output, row.vars, facts, this.options);
  }
}

/**
 * An eval config's tests as the scorer: each row (a test) graded by its own assertions and
 * threshold (`defaultTest` merged in), with promptfoo's semantics.
 */
export class TestScorer implements Scorer {
  readonly fingerprint: string;

  constructor(
    private readonly tests: readonly { assert: AssertionSpec[]; threshold?: number | undefined }[],
    private readonly options: { baseDir: string; env: Env },
  ) {
    this.fingerprint = createHash("sha256")
      .update(JSON.stringify(tests.map((t) => [t.assert, t.threshold ?? null])))
      .digest("hex")
      .slice(0, 16);
    tests.forEach((test, i) => {
      for (const spec of test.assert) refuseJudge(spec, `test ${i}`);
      if (test.assert.length === 0)
        throw new UsageError(`test ${i} has no assertions: optimize needs a score for every test`);
    });
  }

  expected(row: DataRow): string {
    return expectedText(this.tests[row.index]?.assert ?? [], row.vars, this.options.env);
  }

  grade(output: string, row: DataRow, facts: { latencyMs: number; costUsd: number | null }): Promise<Grade> {
    const test = this.tests[row.index] as { assert: AssertionSpec[]; threshold?: number | undefined };
    return gradeWith(test, output, row.vars, facts, this.options);
  }
}

/** A judge-graded assertion is refused for now (exit 2): the grader comes with eval's part 2. */
function refuseJudge(spec: AssertionSpec, where: string): void {
  const base = spec.type.replace(/^not-/, "");
  if (MODEL_GRADED_TYPES.has(base)) {
    throw new UsageError(
      `${where}: "${base}" needs a judge model, and optimize does not grade with one yet (temporary: it comes with eval's model-graded assertions); use a deterministic assertion`,
    );
  }
  for (const inner of spec.assert ?? []) refuseJudge(inner, where);
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
  test: { assert: AssertionSpec[]; threshold?: number | undefined },
  output: string,
  vars: Readonly<Record<string, unknown>>,
  facts: { latencyMs: number; costUsd: number | null },
  options: { baseDir: string; env: Env },
): Promise<Grade> {
  {
    const grade = await scoreTest(
      { assert: test.assert, ...(test.threshold !== undefined ? { threshold: test.threshold } : {}) },
      {
        output,
        vars: vars as Record<string, unknown>,
        prompt: "",
        latencyMs: facts.latencyMs,
        costUsd: facts.costUsd,
        render: (template) => renderTemplate(template, vars, { env: options.env }),
        baseDir: options.baseDir,
        test: { vars: vars as Record<string, unknown> },
        env: options.env,
      },
    );
    return { score: grade.error ? 0 : grade.score, pass: grade.pass && !grade.error, reason: grade.reason };
  }
}
