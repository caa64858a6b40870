import { describe, expect, it } from "vitest";
import type { ItemRequest } from "../../src/core/types.js";
import type { RawRow } from "../../src/input/raw-row.js";
import { type RowDefaults, RowInterpreter, type RowRequest } from "../../src/input/row-to-request.js";
import { compileTemplate } from "../../src/input/template.js";

const ECHO = { provider: "mock", model: "echo" };

function interpret(value: Record<string, unknown>, defaults: Partial<RowDefaults> = {}): RowRequest {
  const interpreter = new RowInterpreter({ model: ECHO, params: {}, ...defaults });
  return interpreter.interpret({ kind: "json", line: 1, value });
}

function csvRow(header: string[], values: string[], defaults: Partial<RowDefaults> = {}): RowRequest {
  const row: RawRow = { kind: "csv", line: 2, header, values };
  return new RowInterpreter({ model: ECHO, params: {}, ...defaults }).interpret(row);
}

function request(result: RowRequest): ItemRequest {
  if (!result.ok) throw new Error(`expected a request, got the problem: ${result.problem}`);
  return result.request;
}

function problem(result: RowRequest): string {
  if (result.ok) throw new Error(`expected a problem, got ${JSON.stringify(result.request)}`);
  return result.problem;
}

const batchLine = (body: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  custom_id: "req-1",
  method: "POST",
  url: "/v1/chat/completions",
  body,
  ...extra,
});

describe("OpenAI Batch API lines", () => {
  it("takes custom_id, messages, model and parameters from the body", () => {
    const result = interpret(
      batchLine({
        model: "echo",
        messages: [{ role: "user", content: "Hello" }],
        temperature: 0.2,
        max_completion_tokens: 40,
      }),
    );
    expect(result).toEqual({
      ok: true,
      id: "req-1",
      request: {
        model: ECHO,
        messages: [{ role: "user", content: "Hello" }],
        params: { temperature: 0.2, max_tokens: 40 },
      },
    });
  });

  it("passes body fields metasync does not know through as `extra`", () => {
    const result = interpret(
      batchLine({
        model: "echo",
        messages: [{ role: "user", content: "Hi" }],
        logprobs: true,
        tools: [{ type: "function", function: { name: "f" } }],
      }),
    );
    expect(request(result).params.extra).toEqual({
      logprobs: true,
      tools: [{ type: "function", function: { name: "f" } }],
    });
  });

  it("accepts /chat/completions without the /v1 prefix", () => {
    const line = batchLine({ messages: [{ role: "user", content: "Hi" }] }, { url: "/chat/completions" });
    expect(interpret(line).ok).toBe(true);
  });

  it("rejects an endpoint other than chat completions", () => {
    const line = batchLine({ input: "text" }, { url: "/v1/embeddings" });
    expect(problem(interpret(line))).toBe(
      'url "/v1/embeddings" is not supported (only /v1/chat/completions)',
    );
  });

  it("rejects a method other than POST", () => {
    const line = batchLine({ messages: [{ role: "user", content: "Hi" }] }, { method: "GET" });
    expect(problem(interpret(line))).toBe('method must be "POST", got "GET"');
  });

  it("rejects a body that is not an object", () => {
    expect(problem(interpret(batchLine({}, { body: "text" })))).toBe('"body" must be an object');
  });

  it("checks the body's parameters", () => {
    const line = batchLine({ messages: [{ role: "user", content: "Hi" }], temperature: 5 });
    expect(problem(interpret(line))).toBe("temperature must be a number from 0 to 2, got 5");
  });
});

describe("chat rows", () => {
  it("keeps the messages as given, with the row's parameters", () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Describe" }] },
      { role: "assistant", content: "Sure." },
      { role: "user", content: "Go on", name: "ann" },
    ];
    const result = request(interpret({ id: "c1", messages, seed: 7, stop: "END" }));
    expect(result.messages).toEqual(messages);
    expect(result.params).toEqual({ seed: 7, stop: ["END"] });
  });

  it.each([
    [{ messages: [{ role: "robot", content: "x" }] }, 'message 1 has unknown role "robot"'],
    [{ messages: [] }, '"messages" is empty'],
    [{ messages: "hello" }, '"messages" must be a list of messages'],
    [{ messages: [{ role: "system", content: "only a system prompt" }] }, "no user message"],
    [{ messages: [{ role: "user", content: "   " }] }, "empty prompt"],
    [{ messages: [{ role: "user", content: [{ type: "text", text: "" }] }] }, "empty prompt"],
    [
      { messages: [{ role: "user", content: 42 }] },
      "message 1 content must be text or a list of content parts",
    ],
    [{ messages: ["hi"] }, "message 1 is not an object"],
    [
      { messages: [{ role: "user", content: [{ type: "hologram" }] }] },
      'message 1, content part 1 has unknown type "hologram" (known: text, image_url, input_audio, file, refusal)',
    ],
    [
      { messages: [{ role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url" }] }] },
      'message 1, content part 2 (image_url) has no "image_url"',
    ],
    [
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { uri: "x" } }] }] },
      'message 1, content part 1 (image_url) has no "image_url.url"',
    ],
    [{ messages: [{ role: "user", content: [{ type: "text", text: 3 }] }] }, '(text): "text" must be text'],
    [
      { messages: [{ role: "user", content: "a\u0000b" }] },
      "a user message contains a NUL character (\\u0000)",
    ],
  ])("rejects %j", (row, expected) => {
    expect(problem(interpret(row))).toContain(expected);
  });

  it("accepts a user message made only of an image part", () => {
    const content = [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }];
    expect(request(interpret({ messages: [{ role: "user", content }] })).messages).toHaveLength(1);
  });

  it("refuses --template on a row that already has messages", () => {
    const result = interpret(
      { messages: [{ role: "user", content: "Hi" }] },
      { template: compileTemplate("{{x}}") },
    );
    expect(problem(result)).toMatch(/already has messages/);
  });
});

describe("prompt rows", () => {
  it("turns prompt and system into a system and a user message", () => {
    expect(request(interpret({ prompt: "Hello", system: "Be kind." })).messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "Hello" },
    ]);
  });

  it.each([
    [{ prompt: "" }, "empty prompt"],
    [{ prompt: "  \n " }, "empty prompt"],
    [{ prompt: 12 }, '"prompt" must be text'],
    [{ text: "no prompt here" }, 'row has no "prompt" or "messages"; give --template'],
  ])("rejects %j", (row, expected) => {
    expect(problem(interpret(row))).toContain(expected);
  });
});

describe("template rows", () => {
  const template = compileTemplate("Summarize {{product}}: {{review.text}}");

  it("builds the prompt from any object's fields", () => {
    const result = request(interpret({ product: "Kettle", review: { text: "boils fast" } }, { template }));
    expect(result.messages).toEqual([{ role: "user", content: "Summarize Kettle: boils fast" }]);
  });

  it("builds the prompt from a CSV row's columns, with a literal dotted column name", () => {
    const result = request(csvRow(["product", "review.text"], ["Toaster", "burns bread"], { template }));
    expect(result.messages).toEqual([{ role: "user", content: "Summarize Toaster: burns bread" }]);
  });

  it("names a missing template field", () => {
    expect(problem(interpret({ product: "Kettle" }, { template }))).toBe(
      'template field "review.text" is missing from this row',
    );
  });

  it("rejects a template that renders to nothing but whitespace", () => {
    expect(problem(csvRow(["text"], ["  "], { template: compileTemplate("{{text}}") }))).toBe("empty prompt");
  });

  it("reads a CSV row's prompt column when there is no template", () => {
    expect(request(csvRow(["id", "prompt"], ["a", "Hi there"])).messages).toEqual([
      { role: "user", content: "Hi there" },
    ]);
  });
});

describe("--system", () => {
  const system = compileTemplate("You review {{product}}s.");

  it("comes first, rendered from the row, before a template prompt", () => {
    const result = request(
      interpret({ product: "kettle", text: "ok" }, { system, template: compileTemplate("{{text}}") }),
    );
    expect(result.messages).toEqual([
      { role: "system", content: "You review kettles." },
      { role: "user", content: "ok" },
    ]);
  });

  it("is put before a chat row's messages when the row has no system message", () => {
    const result = request(
      interpret({ product: "toaster", messages: [{ role: "user", content: "Hi" }] }, { system }),
    );
    expect(result.messages).toEqual([
      { role: "system", content: "You review toasters." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("does not replace a chat row's own system or developer message", () => {
    for (const role of ["system", "developer"]) {
      const messages = [
        { role, content: "Row's own." },
        { role: "user", content: "Hi" },
      ];
      expect(request(interpret({ product: "x", messages }, { system })).messages).toEqual(messages);
    }
  });

  it("does not replace a prompt row's own system field", () => {
    const result = request(interpret({ product: "x", prompt: "Hi", system: "Row's own." }, { system }));
    expect(result.messages).toEqual([
      { role: "system", content: "Row's own." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("names a field it needs that the row lacks", () => {
    expect(problem(interpret({ prompt: "Hi" }, { system }))).toBe(
      '--system field "product" is missing from this row',
    );
  });
});

describe("request parameters", () => {
  const defaults = { params: { temperature: 0.7, max_tokens: 100, seed: 1 } };

  it("applies the defaults to rows without their own values", () => {
    expect(request(interpret({ prompt: "Hi" }, defaults)).params).toEqual({
      temperature: 0.7,
      max_tokens: 100,
      seed: 1,
    });
  });

  it("lets a row's own values win over the defaults", () => {
    expect(request(interpret({ prompt: "Hi", temperature: 0, max_tokens: 5 }, defaults)).params).toEqual({
      temperature: 0,
      max_tokens: 5,
      seed: 1,
    });
  });

  it("lets a Batch line's body values win over the defaults", () => {
    const line = batchLine({ messages: [{ role: "user", content: "Hi" }], temperature: 0 });
    expect(request(interpret(line, defaults)).params).toMatchObject({ temperature: 0, max_tokens: 100 });
  });

  it.each([
    [{ temperature: "hot" }, 'temperature must be a number from 0 to 2, got "hot"'],
    [{ max_tokens: 0 }, "max_tokens must be a positive whole number, got 0"],
    [{ top_p: 2 }, "top_p must be a number from 0 to 1, got 2"],
    [{ stop: [] }, "stop must be a string or a list of non-empty strings, got []"],
    [{ seed: 1.5 }, "seed must be a whole number, got 1.5"],
    [{ response_format: "json" }, 'response_format must be an object, got "json"'],
  ])("rejects a row's bad parameter %j", (params, expected) => {
    expect(problem(interpret({ prompt: "Hi", ...params }))).toBe(expected);
  });
});

describe("models", () => {
  it("uses the default model when the row names none", () => {
    expect(request(interpret({ prompt: "Hi" })).model).toEqual(ECHO);
  });

  it("lets a row's own provider:model win", () => {
    const result = request(interpret({ prompt: "Hi", model: "mock:echo?latency_ms=1" }));
    expect(result.model).toEqual({ provider: "mock", model: "echo?latency_ms=1" });
  });

  it("gives a bare model name the default model's provider", () => {
    expect(request(interpret({ prompt: "Hi", model: "echo" })).model).toEqual(ECHO);
  });

  it("infers the provider of a bare name when there is no default model", () => {
    const noDefault = { model: undefined };
    expect(request(interpret({ prompt: "Hi", model: "gpt-4o-mini" }, noDefault)).model).toEqual({
      provider: "openai",
      model: "gpt-4o-mini",
    });
    expect(request(interpret({ prompt: "Hi", model: "claude-haiku-4-5" }, noDefault)).model).toEqual({
      provider: "anthropic",
      model: "claude-haiku-4-5",
    });
  });

  it("asks for a model when neither the row nor the defaults give one", () => {
    expect(problem(interpret({ prompt: "Hi" }, { model: undefined }))).toMatch(/^no model: give --model/);
  });

  it("rejects an unknown provider and an unknown mock model", () => {
    expect(problem(interpret({ prompt: "Hi", model: "nope:x" }, { model: undefined }))).toMatch(
      /^unknown provider "nope"/,
    );
    expect(problem(interpret({ prompt: "Hi", model: "mock:parrot" }))).toMatch(
      /^unknown mock model "parrot"/,
    );
  });

  it("refuses a row's provider:model whose provider is unknown, even with a default provider", () => {
    const openai = { provider: "openai", model: "gpt-4o-mini" };
    expect(problem(interpret({ prompt: "Hi", model: "nosuch:x" }, { model: openai }))).toBe(
      'unknown provider "nosuch" in model "nosuch:x" (known: mock, openai, anthropic); ' +
        "a model whose name has a colon is written with its provider, e.g. openai:llama3:8b",
    );
    expect(request(interpret({ prompt: "Hi", model: "openai:llama3:8b" }, { model: openai })).model).toEqual({
      provider: "openai",
      model: "llama3:8b",
    });
    expect(
      request(interpret({ prompt: "Hi", model: "ft:gpt-4o-mini:acme::x1" }, { model: openai })).model,
    ).toEqual({
      provider: "openai",
      model: "ft:gpt-4o-mini:acme::x1",
    });
  });

  it("rejects a prompt with a NUL character, however it got there", () => {
    expect(problem(csvRow(["id", "text"], ["1", "a\0b"], { template: compileTemplate("{{text}}") }))).toBe(
      "a user message contains a NUL character (\\u0000)",
    );
  });

  it("rejects a model that is not text", () => {
    expect(problem(interpret({ prompt: "Hi", model: 4 }))).toBe('"model" must be text');
  });
});

describe("ids", () => {
  it.each([
    [{ custom_id: "c", id: "i", request_id: "r" }, "c"],
    [{ id: "i", request_id: "r" }, "i"],
    [{ request_id: "r" }, "r"],
    [{ id: 42 }, "42"],
    [{}, undefined],
  ])("takes the id of %j as %j", (fields, id) => {
    const result = interpret({ prompt: "Hi", ...fields });
    expect(result.ok && result.id).toBe(id);
  });

  it("rejects an id that is empty or not a string or number", () => {
    expect(problem(interpret({ prompt: "Hi", id: "" }))).toBe(
      '"id" must be a non-empty string or a number, got ""',
    );
    expect(problem(interpret({ prompt: "Hi", custom_id: { a: 1 } }))).toMatch(/^"custom_id" must be/);
  });

  it("takes a CSV row's id column, and none when it is empty", () => {
    const first = csvRow(["id", "prompt"], ["row-a", "Hi"]);
    expect(first.ok && first.id).toBe("row-a");
    const second = csvRow(["id", "prompt"], ["", "Hi"]);
    expect(second.ok && second.id).toBeUndefined();
  });
});
