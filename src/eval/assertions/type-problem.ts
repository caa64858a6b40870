import { MODEL_GRADED_HANDLERS, NEGATABLE_MODEL_GRADED } from "../grader/model-graded.js";
import { HANDLERS, MODEL_GRADED_TYPES, NOT_YET_TYPES, splitType } from "./catalog.js";

/**
 * Why an assertion type cannot be run, or undefined when it can: promptfoo's model-graded and
 * other types that metasync does not have yet are named as such; anything else is unknown.
 */
export function typeProblem(type: string): string | undefined {
  if (type === "assert-set") return undefined;
  const { baseType, inverse } = splitType(type);
  if (inverse && MODEL_GRADED_HANDLERS[baseType] && !NEGATABLE_MODEL_GRADED.has(baseType)) {
    return `"${type}": promptfoo does not negate ${baseType} (its verdict ignores not-); write the negation into the rubric`;
  }
  if (HANDLERS[baseType]) return undefined;
  if (MODEL_GRADED_TYPES.has(baseType)) {
    return `"${type}" is a model-graded assertion metasync does not have yet`;
  }
  if (NOT_YET_TYPES.has(baseType) || baseType.startsWith("promptfoo:redteam:")) {
    return `"${type}" assertions are not supported yet`;
  }
  if (baseType === "assert-set") return `"${type}": an assert-set cannot be negated`;
  return `unknown assertion type "${type}"`;
}
