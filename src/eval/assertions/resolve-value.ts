import { isFileReference, readDataFile, scriptReference } from "./file-reference.js";
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
export async function resolveValue(
  spec: AssertionSpec,
  baseType: string,
  ctx: AssertionContext,
  scriptContext: ScriptContext,
): Promise<ResolvedValue> {
  let value = spec.value;
  let valueFromScript: unknown;
  if (typeof value === "string") {
    if (isFileReference(value)) {
      const script = scriptReference(value, ctx.baseDir);
      if (script) {
        const fn = await loadScriptFunction(script.path, script.functionName);
        valueFromScript = await fn(ctx.output, scriptContext);
      } else {
        value = readDataFile(value, ctx.baseDir);
      }
    } else {
      value = ctx.render(value);
    }
  } else if (Array.isArray(value)) {
    value = value.map((item: unknown) => {
      if (typeof item !== "string") return item;
      return isFileReference(item) ? readDataFile(item, ctx.baseDir) : ctx.render(item);
    });
  }
  if (valueFromScript !== undefined && baseType !== "javascript") {
    value = checkedScriptValue(spec.type, valueFromScript);
  }
  return { value, valueFromScript };
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
