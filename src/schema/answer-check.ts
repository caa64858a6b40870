import type { AnswerCheck, ItemRequest } from "../core/types.js";
import { compiledSchema, validationMessage } from "./ajv.js";
import { responseSchema } from "./response-format.js";

/**
 * Checks an answer against its request's schema (`response_format` of type `json_schema`): the
 * parsed object, or what is wrong (not JSON, or the validator's message). A request without a schema
 * takes any answer. A model that wraps its JSON in a Markdown code fence is forgiven the fence.
 */
export function checkAnswer(request: ItemRequest, text: string): AnswerCheck {
  const schema = responseSchema(request.params);
  if (schema === undefined) return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(unfenced(text));
  } catch (error) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return {
      ok: false,
      problem: `the answer is not JSON (${(error as Error).message}): ${JSON.stringify(shown)}`,
    };
  }
  let validate: ReturnType<typeof compiledSchema>;
  try {
    validate = compiledSchema(schema, false);
  } catch (error) {
    return {
      ok: false,
      problem: `the request's schema is not a valid JSON Schema: ${(error as Error).message}`,
    };
  }
  if (validate(value)) return { ok: true, json: value };
  return {
    ok: false,
    problem: `the answer does not match the schema: ${validationMessage(validate, false)}`,
  };
}

function unfenced(text: string): string {
  const fenced = /^\s*```[\w-]*\n([\s\S]*?)\n```\s*$/.exec(text);
  return fenced?.[1] ?? text;
}
