import { createHash } from "node:crypto";
import { UsageError } from "../core/errors.js";
import { checkAssertion, MODEL_GRADED_TYPES, scoreTest } from "../eval/assertions/index.js";
import type { AssertionSpec } from "../eval/assertions/types.js";
import { assertionFromString } from "../eval/config/assertion-string.js";
import { renderTemplate } from "../eval/render.js";

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
  expected(vars: Readonly<Record<string, unknown>>): string;
  grade(
    output: string,
    vars: Readonly<Record<string, unknown>>,
    facts: { latencyMs: number; costUsd: number | null },
  ): Promise<Grade>;
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
      const base = spec.type.replace(/^not-/, "");
      if (MODEL_GRADED_TYPES.has(base)) {
        throw new UsageError(
          `--assert ${text}: "${base}" needs a judge model, and optimize does not grade with one yet (temporary: it comes with eval's model-graded assertions); use a deterministic assertion`,
        );
      }
      const problem = checkAssertion(spec, `--assert #${i + 1} (${text})`, {
        baseDir: options.baseDir,
        env: options.env,
      });
      if (problem) throw new UsageError(problem);
      return spec;
    });
    return new AssertionScorer(specs, options, texts);
  }

  expected(vars: Readonly<Record<string, unknown>>): string {
    const spec = this.specs.find((s) => typeof s.value === "string");
    if (!spec) return this.specs.map((s) => s.type).join(", ");
    const value = renderTemplate(spec.value as string, vars, { env: this.options.env });
    return spec.type === "equals" ? value : `${spec.type}: ${value}`;
  }

  async grade(
    output: string,
    vars: Readonly<Record<string, unknown>>,
    facts: { latencyMs: number; costUsd: number | null },
  ): Promise<Grade> {
    const grade = await scoreTest(
      { assert: this.specs },
      {
        output,
        vars: vars as Record<string, unknown>,
        prompt: "",
        latencyMs: facts.latencyMs,
        costUsd: facts.costUsd,
        render: (template) => renderTemplate(template, vars, { env: this.options.env }),
        baseDir: this.options.baseDir,
        test: { vars: vars as Record<string, unknown> },
        env: this.options.env,
      },
    );
    return { score: grade.error ? 0 : grade.score, pass: grade.pass && !grade.error, reason: grade.reason };
  }
}
