import { HANDLERS, splitType } from "./catalog.js";
import { GradeAggregate } from "./grade-aggregate.js";
import type { ScriptContext } from "./handler.js";
import { resolveValue } from "./resolve-value.js";
import { typeProblem } from "./type-problem.js";
import type { AssertionContext, AssertionSpec, GradingResult, TestGrade } from "./types.js";

/**
 * Grades one output against one assertion (or `assert-set`), as promptfoo's `runAssertion`.
 * Never throws: an assertion that cannot be evaluated is a failed grade with `error: true` and
 * the reason why. A weight-0 assertion always passes (it only measures), unless it is an error.
 */
export async function runAssertion(spec: AssertionSpec, ctx: AssertionContext): Promise<GradingResult> {
  const assertion = withoutNulls(spec);
  if (assertion.type === "assert-set") return runAssertSet(assertion, ctx);
  const { baseType, inverse } = splitType(String(assertion.type));
  const handler = HANDLERS[baseType];
  if (!handler) {
    return failure(
      assertion,
      typeProblem(String(assertion.type)) ?? `Unknown assertion type: ${assertion.type}`,
    );
  }
  try {
    // Made only for an assertion that calls a script (javascript, or a file:// script value).
    let made: ScriptContext | undefined;
    const scriptContext = () => {
      made ??= scriptContextFor(assertion, ctx);
      return made;
    };
    // Awaited only when there is something to wait for (a script): an await costs a microtask,
    // and most assertions are synchronous.
    const resolving = resolveValue(assertion, baseType, ctx, scriptContext);
    const { value, valueFromScript } = resolving instanceof Promise ? await resolving : resolving;
    const handled = handler({
      spec: assertion,
      baseType,
      inverse,
      output: ctx.output,
      value,
      valueFromScript,
      ctx,
      scriptContext,
    });
    const result = handled instanceof Promise ? await handled : handled;
    return assertion.weight === 0 && !result.error ? { ...result, pass: true } : result;
  } catch (error) {
    return failure(assertion, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Grades a test: every assertion, `assert-set`s counting as one, combined as `GradeAggregate`
 * says. Sets are added after the plain assertions, as promptfoo adds them, so a test without a
 * threshold reports the last failing plain assertion's reason unless a set failed after it.
 */
export async function scoreTest(
  test: { assert: AssertionSpec[]; threshold?: number | null | undefined },
  ctx: AssertionContext,
): Promise<TestGrade> {
  if (test.assert.length === 0) return { pass: true, score: 1, reason: "No assertions", namedScores: {} };
  return aggregate(test.assert, test.threshold, ctx);
}

async function runAssertSet(set: AssertionSpec, ctx: AssertionContext): Promise<GradingResult> {
  const grade = await aggregate(set.assert ?? [], set.threshold, ctx);
  return { ...grade, assertion: set };
}

async function aggregate(
  specs: AssertionSpec[],
  threshold: number | null | undefined,
  ctx: AssertionContext,
): Promise<TestGrade> {
  const total = new GradeAggregate(threshold);
  const sets: [number, AssertionSpec][] = [];
  for (const [index, spec] of specs.entries()) {
    if (spec.type === "assert-set") {
      sets.push([index, spec]);
      continue;
    }
    total.add(index, await runAssertion(spec, ctx), metricName(spec.metric, ctx), weightOf(spec));
  }
  for (const [index, spec] of sets) {
    total.add(index, await runAssertion(spec, ctx), metricName(spec.metric, ctx), weightOf(spec));
  }
  return total.result();
}

function weightOf(spec: AssertionSpec): number | undefined {
  return typeof spec.weight === "number" ? spec.weight : undefined;
}

/** A metric name may use the test's vars (promptfoo `renderMetricName`); a bad template stays as written. */
function metricName(metric: unknown, ctx: AssertionContext): string | undefined {
  if (typeof metric !== "string" || metric === "") return undefined;
  if (!metric.includes("{")) return metric;
  try {
    return ctx.render(metric);
  } catch {
    return metric;
  }
}

function failure(spec: AssertionSpec, reason: string): GradingResult {
  return { pass: false, score: 0, reason, assertion: spec, error: true };
}

/** An empty `threshold:` or `weight:` in YAML is null: no threshold, the default weight. */
function withoutNulls(spec: AssertionSpec): AssertionSpec {
  if ((spec.threshold as unknown) !== null && (spec.weight as unknown) !== null) return spec;
  const copy = { ...spec };
  if ((copy.threshold as unknown) === null) delete copy.threshold;
  if ((copy.weight as unknown) === null) delete copy.weight;
  return copy;
}

function scriptContextFor(spec: AssertionSpec, ctx: AssertionContext): ScriptContext {
  const providerResponse: ScriptContext["providerResponse"] = { output: ctx.output };
  if (typeof ctx.costUsd === "number") providerResponse.cost = ctx.costUsd;
  if (ctx.latencyMs !== undefined) providerResponse.latencyMs = ctx.latencyMs;
  // `prompt` is read from the grading context (which renders it) only when the script reads it;
  // to the script it is an own, enumerable property like the others: it can be set, spread and
  // serialized.
  let prompt: string | undefined;
  const context: ScriptContext = {
    get prompt() {
      prompt ??= ctx.prompt;
      return prompt;
    },
    set prompt(value: string) {
      prompt = value;
    },
    vars: ctx.vars,
    test: ctx.test ?? { vars: ctx.vars },
    logProbs: undefined,
    provider: undefined,
    providerResponse,
  };
  if (spec.config) context.config = structuredClone(spec.config);
  return context;
}
