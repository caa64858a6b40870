import type { AssertionSpec, GradingResult } from "./types.js";

/**
 * What a script assertion may return, checked as promptfoo does (src/types `isGradingResult`,
 * src/assertions/scriptResultNormalization.ts `asGradingResult`): a boolean, a finite number, or
 * a `{pass, score, reason}` object with finite numbers. Named scores written as booleans, null or
 * numeric strings become numbers, as earlier promptfoo releases recorded them.
 */
export function asScriptResult(result: unknown): boolean | number | GradingResult | undefined {
  if (typeof result === "boolean") return result;
  if (typeof result === "number") return Number.isFinite(result) ? result : undefined;
  return asGradingResult(result, false);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function recordedScore(value: unknown): unknown {
  if (typeof value === "boolean" || value === null || (typeof value === "string" && value.trim() !== "")) {
    const score = Number(value);
    return Number.isFinite(score) ? score : value;
  }
  return value;
}

function asGradingResult(value: unknown, component: boolean): GradingResult | undefined {
  if (!isPlainObject(value)) return undefined;
  const pass = value.pass;
  if (typeof pass !== "boolean") return undefined;
  // A nested component may leave out `reason`, and `score`, which then follows `pass`.
  const score = value.score ?? (component ? (pass ? 1 : 0) : undefined);
  const reason = value.reason ?? (component ? "" : undefined);
  if (typeof score !== "number" || !Number.isFinite(score) || typeof reason !== "string") return undefined;
  const result: GradingResult = { ...(value as object), pass, score, reason } as GradingResult;
  if (value.namedScores !== undefined) {
    if (!isPlainObject(value.namedScores)) return undefined;
    const named: Record<string, number> = {};
    for (const [name, raw] of Object.entries(value.namedScores)) {
      if (raw === undefined) continue;
      const recorded = recordedScore(raw);
      if (typeof recorded !== "number" || !Number.isFinite(recorded)) return undefined;
      named[name] = recorded;
    }
    result.namedScores = named;
  }
  if (value.componentResults !== undefined) {
    if (!Array.isArray(value.componentResults)) return undefined;
    const components: GradingResult[] = [];
    for (const component of value.componentResults) {
      const converted = asGradingResult(component, true);
      if (!converted) return undefined;
      components.push(converted);
    }
    result.componentResults = components;
  }
  return result;
}

/** Appends the assertion's code to a reason, as promptfoo's `appendToReason`. */
export function appendToReason(reason: string, suffix: unknown): string {
  return typeof suffix === "string" && suffix ? `${reason}\n${suffix}` : reason;
}

/**
 * A script's verdict with `not-` applied (promptfoo `normalizeScriptAssertionResult`): a boolean
 * scores 1 or 0; a number is the score and passes above 0, or at `threshold` and above when one
 * is set; an object keeps its own score and reason.
 */
export function normalizeScriptResult(
  spec: AssertionSpec,
  result: boolean | number | GradingResult,
  inverse: boolean,
  code: string,
): GradingResult {
  const failure = (rawPass: boolean) => appendToReason(`Custom function returned ${rawPass}`, code);
  if (typeof result === "boolean") {
    const pass = result !== inverse;
    return {
      pass,
      score: pass ? 1 : 0,
      reason: pass ? "Assertion passed" : failure(result),
      assertion: spec,
    };
  }
  if (typeof result === "number") {
    const rawPass = spec.threshold === undefined ? result > 0 : result >= spec.threshold;
    const pass = rawPass !== inverse;
    return { pass, score: result, reason: pass ? "Assertion passed" : failure(rawPass), assertion: spec };
  }
  return {
    ...result,
    pass: result.pass !== inverse,
    reason: result.reason,
    assertion: result.assertion ?? spec,
  };
}
