import type Anthropic from "@anthropic-ai/sdk";
import { ProviderError } from "../../src/core/errors.js";
import type { RequestParams } from "../../src/core/types.js";

/**
 * A `json_schema` response format as Anthropic takes structured output: one tool whose
 * `input_schema` is the schema, and `tool_choice: {type: "tool", name}` forcing the model to call it
 * (docs.anthropic.com, "Tool use": forcing a tool; the SDK's `ToolChoiceTool`). The answer is the
 * call's `input`, written as JSON text.
 */
export interface SchemaTool {
  tool: Anthropic.Messages.Tool;
  choice: Anthropic.Messages.ToolChoiceTool;
}

export function schemaTool(params: Pick<RequestParams, "response_format">): SchemaTool | undefined {
  const format = params.response_format;
  if (format?.type !== "json_schema") return undefined;
  const spec = (format.json_schema ?? {}) as { name?: unknown; description?: unknown; schema?: unknown };
  const schema = spec.schema as Record<string, unknown> | undefined;
  if (typeof schema !== "object" || schema === null || schema.type !== "object") {
    throw new ProviderError(
      'anthropic: a response_format schema must describe an object ("type": "object") to be a tool\'s input',
      { type: "bad_request" },
    );
  }
  // Anthropic's tool names: ^[a-zA-Z0-9_-]{1,64}$.
  const raw = typeof spec.name === "string" ? spec.name : "output";
  const name = raw.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "output";
  const description =
    typeof spec.description === "string" && spec.description !== ""
      ? spec.description
      : "Give your answer as this tool's input, following its schema.";
  return {
    tool: { name, description, input_schema: schema as Anthropic.Messages.Tool.InputSchema },
    choice: { type: "tool", name },
  };
}
