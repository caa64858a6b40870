import type { AssertionContext, AssertionSpec, GradingResult } from "./types.js";

/** What a handler is given: the assertion, its resolved value and the output to grade. */
export interface HandlerParams {
  spec: AssertionSpec;
  /** The type without its `not-` prefix. */
  baseType: string;
  /** `not-<type>`: the handler negates its verdict, as promptfoo's `inverse`. */
  inverse: boolean;
  output: string;
  /** The value after rendering, file references and scripts (promptfoo's `renderedValue`). */
  value: unknown;
  /** What a `file://x.js` value returned, when it was one (promptfoo's `valueFromScript`). */
  valueFromScript: unknown;
  ctx: AssertionContext;
  /** The `context` a script assertion receives (made on the first call, the same object after). */
  scriptContext: () => ScriptContext;
}

export type Handler = (params: HandlerParams) => GradingResult | Promise<GradingResult>;

/** The second argument of a script assertion, as promptfoo builds it. */
export interface ScriptContext {
  prompt: string;
  vars: Record<string, unknown>;
  test: { description?: string; vars: Record<string, unknown>; metadata?: Record<string, unknown> };
  logProbs: undefined;
  provider: undefined;
  providerResponse: { output: string; cost?: number; latencyMs?: number };
  config?: Record<string, unknown>;
}

/** A grade of 1 or 0 with promptfoo's "Assertion passed" reason when it passes. */
export function binary(spec: AssertionSpec, pass: boolean, failure: string): GradingResult {
  return { pass, score: pass ? 1 : 0, reason: pass ? "Assertion passed" : failure, assertion: spec };
}

/** promptfoo's `invariant`: a value of the wrong kind is an assertion that cannot be evaluated. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
