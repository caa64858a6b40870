import { describe, expect, it } from "vitest";
import { fromMessage, MessageStreamAssembler } from "../../providers/anthropic/completion.js";
import { messageBody } from "../../providers/anthropic/message-body.js";
import { chatBody } from "../../providers/openai/chat-body.js";
import { strictAllowed } from "../../providers/openai/strict-schema.js";
import { conciseSchema } from "../../src/schema/concise-schema.js";
import { schemaResponseFormat } from "../../src/schema/response-format.js";

const request = (schema: Record<string, unknown>) => ({
  model: "m",
  messages: [{ role: "user" as const, content: "hi" }],
  params: { response_format: schemaResponseFormat(schema) },
});

describe("OpenAI: json_schema response formats", () => {
  it("are sent strict where the schema allows it", () => {
    const body = chatBody(request(conciseSchema("name, age int"))) as unknown as Record<string, unknown>;
    expect(body.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "output", strict: true },
    });
  });

  it("are sent as given where strict mode would refuse the schema, or the request says", () => {
    const optional = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false };
    const open = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    const pattern = {
      type: "object",
      properties: { a: { type: "string", pattern: "^x" } },
      required: ["a"],
      additionalProperties: false,
    };
    for (const schema of [optional, open, pattern]) {
      expect(strictAllowed(schema)).toBe(false);
      const body = chatBody(request(schema)) as unknown as { response_format: { json_schema: object } };
      expect(body.response_format.json_schema).not.toHaveProperty("strict");
    }
    const own = {
      ...request(conciseSchema("a")),
      params: {
        response_format: { type: "json_schema", json_schema: { name: "x", strict: false, schema: {} } },
      },
    };
    expect((chatBody(own) as unknown as Record<string, unknown>).response_format).toEqual(
      own.params.response_format,
    );
  });

  it("allow nested objects and lists that follow the rules", () => {
    const nested = conciseSchema("a");
    (nested.properties as Record<string, unknown>).list = { type: "array", items: conciseSchema("b int") };
    (nested.required as string[]).push("list");
    expect(strictAllowed(nested)).toBe(true);
  });
});

describe("Anthropic: a json_schema response format is a forced tool call", () => {
  it("sends the schema as the tool's input_schema and forces it", () => {
    const schema = conciseSchema("name, age int");
    const body = messageBody(request(schema));
    expect(body.tools).toEqual([expect.objectContaining({ name: "output", input_schema: schema })]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "output" });
  });

  it("refuses a schema whose root is not an object", () => {
    expect(() => messageBody(request({ type: "array" }))).toThrow(/must describe an object/);
  });

  it("answers with the tool call's input as JSON text, finished as stop", () => {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "tool_use", id: "toolu_1", name: "output", input: { name: "Ada", age: 36 } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 4 },
    } as unknown as Parameters<typeof fromMessage>[0];
    const completion = fromMessage(message, new Headers(), "output");
    expect(completion).toMatchObject({ text: '{"name":"Ada","age":36}', finishReason: "stop" });
  });

  it("assembles a streamed tool call's input", () => {
    const assembler = new MessageStreamAssembler("output");
    const events = [
      { type: "message_start", message: { usage: { input_tokens: 3, output_tokens: 1 } } },
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "t", name: "output", input: {} },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"name":' },
      },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '"Ada"}' } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } },
      { type: "message_stop" },
    ];
    for (const event of events) assembler.add(event as Parameters<MessageStreamAssembler["add"]>[0]);
    expect(assembler.finish(new Headers())).toMatchObject({ text: '{"name":"Ada"}', finishReason: "stop" });
  });
});
