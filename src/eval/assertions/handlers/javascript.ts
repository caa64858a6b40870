import { type Handler, invariant } from "../handler.js";
import { appendToReason, asScriptResult, normalizeScriptResult } from "../script-result.js";

/**
 * `javascript` (promptfoo src/assertions/javascript.ts). An inline value is a function body with
 * `output` and `context` in scope: one line is an expression (`const x = …; x > 1` returns its
 * last expression), several lines are a body that must `return`. A `file://x.js[:fn]` value was
 * already called with `(output, context)` before this handler (see resolve-value.ts).
 *
 * A script that throws fails the assertion with promptfoo's reason; one that returns something
 * other than a boolean, a finite number or a `{pass, score, reason}` object cannot be evaluated.
 */
export const javascript: Handler = async ({
  spec,
  value,
  valueFromScript,
  output,
  inverse,
  scriptContext,
}) => {
  invariant(typeof value === "string", "javascript assertion must have a string value");
  const code = value.trimEnd();
  let raw: unknown;
  if (valueFromScript === undefined) {
    try {
      raw = await compiled(code)(output, scriptContext());
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      return {
        pass: false,
        score: 0,
        reason: appendToReason(
          `Custom function threw error: ${err.message}\nStack Trace: ${err.stack}`,
          code,
        ),
        assertion: spec,
      };
    }
  } else {
    raw = valueFromScript;
  }
  const result = asScriptResult(raw);
  if (result === undefined) {
    return {
      pass: false,
      score: 0,
      reason: `Custom function must return a boolean, a finite number, or a GradingResult object with finite scores and weights. Got type ${typeof raw}.`,
      assertion: spec,
      error: true,
    };
  }
  return normalizeScriptResult(spec, result, inverse, code);
};

type InlineFunction = (output: string, context: unknown) => unknown;
const compiledCode = new Map<string, InlineFunction>();
const MAX_COMPILED = 1_000;

/** The code as a function, compiled once per distinct text (a row's vars may change the text). */
function compiled(code: string): InlineFunction {
  let fn = compiledCode.get(code);
  if (!fn) {
    fn = new Function(
      "output",
      "context",
      code.includes("\n") ? code : buildFunctionBody(code),
    ) as InlineFunction;
    if (compiledCode.size >= MAX_COMPILED) compiledCode.clear();
    compiledCode.set(code, fn);
  }
  return fn;
}

/**
 * One line of code as a function body (promptfoo `buildFunctionBody`): `return <line>`, or for a
 * line that starts with a declaration, `return` before the expression after its last `;`.
 */
export function buildFunctionBody(code: string): string {
  const trimmed = code.trim().replace(/;+\s*$/, "");
  if (/^(const|let|var)\s/.test(trimmed)) {
    const last = lastStatementSemicolon(trimmed);
    if (last !== -1) {
      const expression = trimmed.slice(last + 1).trim();
      if (expression) return `${trimmed.slice(0, last + 1)} return ${expression}`;
    }
    return trimmed;
  }
  return `return ${trimmed}`;
}

/** The last `;` outside string and template literals. */
function lastStatementSemicolon(code: string): number {
  let single = false;
  let double = false;
  let template = false;
  let last = -1;
  for (let i = 0; i < code.length; i++) {
    const char = code[i];
    let backslashes = 0;
    for (let j = i - 1; j >= 0 && code[j] === "\\"; j--) backslashes++;
    if (backslashes % 2 === 0) {
      if (char === "'" && !double && !template) single = !single;
      else if (char === '"' && !single && !template) double = !double;
      else if (char === "`" && !single && !double) template = !template;
    }
    if (char === ";" && !single && !double && !template) last = i;
  }
  return last;
}
