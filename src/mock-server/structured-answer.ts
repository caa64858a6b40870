import { schemaAnswer } from "../../providers/mock/schema-answer.js";
import { type Answer, isRecord, type ParsedRequest, roughTokens } from "./dialect.js";

/** The schema a request asks its answer to follow, and the tool it forces when it asks as Anthropic does. */
export interface RequestedSchema {
  schema: unknown;
  /** Anthropic: the forced tool (`tool_choice: {type: "tool", name}`) whose input is the answer. */
  tool?: string;
}

/** OpenAI: `response_format: {type: "json_schema", json_schema: {schema}}`. */
export function openaiSchema(body: Record<string, unknown>): RequestedSchema | undefined {
  const format = body.response_format;
  if (!isRecord(format) || format.type !== "json_schema" || !isRecord(format.json_schema)) return undefined;
  return isRecord(format.json_schema.schema) ? { schema: format.json_schema.schema } : undefined;
}

/** Anthropic: a tool forced by `tool_choice: {type: "tool", name}`; its `input_schema` is the schema. */
export function anthropicSchema(body: Record<string, unknown>): RequestedSchema | undefined {
  const choice = body.tool_choice;
  if (!isRecord(choice) || choice.type !== "tool" || typeof choice.name !== "string") return undefined;
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const tool = tools.find((t) => t.name === choice.name);
  return tool && isRecord(tool.input_schema) ? { schema: tool.input_schema, tool: choice.name } : undefined;
}

/**
 * The answer to a request that asked for a schema: JSON that follows it, derived from the last user
 * message (`providers/mock/schema-answer.ts`, as the offline mock answers); `{}` when the prompt asks
 * for `[[fault:invalid_output]]` (invalid for any schema that requires a field).
 */
export function structuredAnswer(request: ParsedRequest, answer: Answer, invalid = false): Answer {
  if (!request.schema) return answer;
  const text = invalid ? "{}" : JSON.stringify(schemaAnswer(request.schema.schema, request.lastUserText));
  return { ...answer, text, outputTokens: roughTokens(text), stop: "stop", stopSequence: undefined };
}
