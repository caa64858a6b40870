import { describe, expect, it } from "vitest";
import { RenderError, renderPrompt, renderTemplate, templateProblem } from "../../src/eval/render.js";

const user = (content: string) => [{ role: "user", content }];

// Cases from promptfoo's docs (configuration/prompts.md, configuration/chat.md) and the rules of
// its renderPrompt (evaluatorHelpers.ts) and Nunjucks environment (util/templates.ts).
describe("renderPrompt: Nunjucks as promptfoo configures it", () => {
  it("substitutes vars, with filters and conditionals", () => {
    expect(renderPrompt("Hello {{name}}, welcome to {{company}}!", { name: "Ada", company: "Acme" })).toEqual(
      user("Hello Ada, welcome to Acme!"),
    );
    expect(renderPrompt("Product: {{product | upper}}", { product: "widget" })).toEqual(
      user("Product: WIDGET"),
    );
    const conditional = "{% if premium %}Priority support: {% endif %}{{issue}}";
    expect(renderPrompt(conditional, { premium: true, issue: "login" })).toEqual(
      user("Priority support: login"),
    );
    expect(renderPrompt(conditional, { premium: false, issue: "login" })).toEqual(user("login"));
  });

  it("loops, and renders objects' fields", () => {
    const prompt = "{% for item in items %}- {{ item.name }} ({{ loop.index }})\n{% endfor %}";
    expect(renderPrompt(prompt, { items: [{ name: "a" }, { name: "b" }] })).toEqual(
      user("- a (1)\n- b (2)\n"),
    );
  });

  it("does not escape HTML, and renders an undefined var as nothing", () => {
    expect(renderPrompt("<b>{{ html }}</b>{{ missing }}!", { html: "<i>&</i>" })).toEqual(
      user("<b><i>&</i></b>!"),
    );
  });

  it("cuts one trailing newline from each var (a CSV or file value)", () => {
    expect(renderPrompt("[{{ text }}]", { text: "line\n\n" })).toEqual(user("[line\n]"));
  });

  it("renders vars that are templates themselves, unless they name a var that is not there", () => {
    expect(renderPrompt("Q: {{ q }}", { q: "about {{ topic | upper }}", topic: "cats" })).toEqual(
      user("Q: about CATS"),
    );
    expect(renderPrompt("Q: {{ q }}", { q: "about {{ nothing }}" })).toEqual(user("Q: about {{ nothing }}"));
  });

  it("gives templates env as a global and a load filter (JSON.parse)", () => {
    const env = { API_HOST: "example.test" };
    expect(renderPrompt("Call {{ env.API_HOST }}", {}, { env })).toEqual(user("Call example.test"));
    expect(renderPrompt("{{ (data | load).name }}", { data: '{"name": "Ada"}' })).toEqual(user("Ada"));
  });

  it("sends a template with an unclosed tag as written", () => {
    expect(renderPrompt("Use {{ like this", { like: 1 })).toEqual(user("Use {{ like this"));
  });
});

describe("renderPrompt: chats", () => {
  it("renders each message of a chat prompt, escaping nothing inside the JSON", () => {
    const chat = [
      { role: "system" as const, content: "You are a helpful assistant." },
      { role: "user" as const, content: "Who won the world series in {{ year }}?" },
    ];
    expect(renderPrompt(chat, { year: 2020 })).toEqual([
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Who won the world series in 2020?" },
    ]);
    expect(
      renderPrompt({ raw: '[{"role": "user", "content": "Say {{ q }}"}]' }, { q: '"hi"\nthere' }),
    ).toEqual(user('Say "hi"\nthere'));
  });

  it("reads a rendered JSON list of messages as a chat: {{ messages | dump }}", () => {
    const messages = [
      { role: "system", content: "Respond as a pirate" },
      { role: "user", content: "Who founded Facebook?" },
    ];
    expect(renderPrompt("{{ messages | dump }}", { messages })).toEqual(messages);
  });

  it("renders promptfoo's simplified chat markup template", () => {
    const template = [
      "[",
      "{% for message in messages %}",
      "  {% set outer_loop = loop %}",
      "  {% for role, content in message %}",
      '  { "role": "{{ role }}", "content": "{{ content }}" }{% if not (loop.last and outer_loop.last) %},{% endif %}',
      "  {% endfor %}",
      "{% endfor %}",
      "]",
    ].join("\n");
    const messages = [
      { user: "Who founded Facebook?" },
      { assistant: "Mark Zuckerberg" },
      { user: "Did he found any other companies?" },
    ];
    expect(renderPrompt(template, { messages })).toEqual([
      { role: "user", content: "Who founded Facebook?" },
      { role: "assistant", content: "Mark Zuckerberg" },
      { role: "user", content: "Did he found any other companies?" },
    ]);
  });

  it("sends JSON inside a message's content with {% set %} and | trim | dump", () => {
    const template = [
      "{% set input %}",
      '{ "query": "{{ query }}" }',
      "{% endset %}",
      '[{ "role": "user", "content": {{ input | trim | dump }} }]',
    ].join("\n");
    expect(renderPrompt(template, { query: "how you doing" })).toEqual(user('{ "query": "how you doing" }'));
  });

  it("reads a rendered YAML list starting `- role:` as a chat", () => {
    expect(renderPrompt("- role: user\n  content: {{ q }}", { q: "hello" })).toEqual(user("hello"));
  });

  it("sends other text that starts with [ or { as one user message", () => {
    expect(renderPrompt("[INST] {{ q }} [/INST]", { q: "hi" })).toEqual(user("[INST] hi [/INST]"));
    expect(renderPrompt("{{ n }}", { n: 42 })).toEqual(user("42"));
  });

  it("refuses text that looks like a JSON chat and is not JSON, and a list that is no chat", () => {
    const template = '[{% if true %}{"role": "user", "content": "{{ q }}"}{% endif %}]';
    expect(renderPrompt(template, { q: "hi" })).toEqual(user("hi"));
    expect(() => renderPrompt(template, { q: 'say "hi"' })).toThrow(RenderError);
    expect(() => renderPrompt("[1, 2]", {})).toThrow("the prompt renders to a chat that is not one");
  });
});

describe("renderTemplate (assertion values) and templateProblem", () => {
  it("renders with the test's vars and leaves text without tags as it is", () => {
    expect(renderTemplate("{{ expected | lower }}", { expected: "Paris" })).toBe("paris");
    expect(renderTemplate("plain {text}", {})).toBe("plain {text}");
  });

  it("turns a template error into a RenderError naming the line and column", () => {
    expect(() => renderTemplate("{{ a b }}", {})).toThrow(
      "template error at line 1, column 6: expected variable end",
    );
    expect(() => renderTemplate("{{ a | nosuchfilter }}", { a: 1 })).toThrow(
      "template error: filter not found: nosuchfilter",
    );
  });

  it("says why a template does not compile, before anything is sent", () => {
    expect(templateProblem("{% for x in xs %}{{ x }}")).toBe("template error: unexpected end of file");
    expect(templateProblem("Fine {{ x }}")).toBeUndefined();
  });
});
