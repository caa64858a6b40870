import { isFileReference, readDataFile, type ScriptReference, scriptReference } from "./file-reference.js";
import type { ScriptContext } from "./handler.js";
import { loadScriptFunction } from "./script-module.js";
import type { AssertionContext, AssertionSpec } from "./types.js";

/** An assertion's value ready for its handler (promptfoo `renderedValue` and `valueFromScript`). */
export interface ResolvedValue {
  value: unknown;
  valueFromScript: unknown;
}

/**
 * Resolves an assertion's value as promptfoo's `runAssertion` does: a string is rendered with the
 * test's vars, or read from its `file://` file, or, for a script, replaced by what the script
 * returns for this output; each string of a list is rendered or read the same way; other values
 * are used as written. Only `javascript` may get a boolean, a function or a grade from a script.
 */
export function resolveValue(
  spec: AssertionSpec,
  baseType: string,
  ctx: AssertionContext,
  scriptContext: () => ScriptContext,
): ResolvedValue | Promise<ResolvedValue> {
  const value = spec.value;
  if (typeof value === "string") {
    if (!isFileReference(value)) return { value: ctx.render(value), valueFromScript: undefined };
    const script = scriptReference(value, ctx.baseDir);
    if (script) return scriptValue(spec, baseType, script, ctx, scriptContext);
    return { value: readDataFile(value, ctx.baseDir), valueFromScript: undefined };
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => {
      if (typeof item !== "string") return item;
      return isFileReference(item) ? readDataFile(item, ctx.baseDir) : ctx.render(item);
    });
    return { value: items, valueFromScript: undefined };
  }
  return { value, valueFromScript: undefined };
}

/** A script's result for this output (promptfoo's `valueFromScript`), the value for other types. */
async function scriptValue(
  spec: AssertionSpec,
  baseType: string,
  script: ScriptReference,
  ctx: AssertionContext,
  scriptContext: () => ScriptContext,
): Promise<ResolvedValue> {
  const fn = await loadScriptFunction(script.path, script.functionName);
  const valueFromScript = await fn(ctx.output, scriptContext());
  if (valueFromScript === undefined || baseType === "javascript")
    return { value: spec.value, valueFromScript };
  return { value: checkedScriptValue(spec.type, valueFromScript), valueFromScript };
}

const SCRIPT_ONLY: Record<string, string> = {
  function: "returned a function. Only javascript/python/ruby assertion types can return functions.",
  boolean: "returned a boolean. Only javascript/python/ruby assertion types can return boolean values.",
  grade:
    "returned a GradingResult. Only javascript/python/ruby assertion types can return GradingResult objects.",
};

/** A script's result used as another assertion's value must be a value (promptfoo's checks and words). */
function checkedScriptValue(type: string, result: unknown): unknown {
  const kind =
    typeof result === "function"
      ? "function"
      : typeof result === "boolean"
        ? "boolean"
        : result && typeof result === "object" && !Array.isArray(result) && "pass" in result
          ? "grade"
          : undefined;
  if (kind) {
    throw new Error(
      `Script for "${type}" assertion ${SCRIPT_ONLY[kind]} For other assertion types, return the expected value (string, number, array, or object).`,
    );
  }
  return result;
}
