import { describe, expect, it } from "vitest";
import { renderPrompt } from "../../../src/eval/render.js";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

const FORMS = "test/eval/fixtures/prompt-forms";

describe("prompts: every form promptfoo reads", () => {
  const prompts = load(`${FORMS}/promptfooconfig.yaml`).prompts;

  it("reads inline strings and {id, label, raw} objects, labelled as promptfoo labels them", () => {
    expect(prompts.slice(0, 3)).toEqual([
      {
        id: "Summarize in one line: {{ text }}",
        label: "Summarize in one line: {{ text }}",
        raw: "Summarize in one line: {{ text }}",
      },
      { id: "terse", label: "Terse summary", raw: "TL;DR {{ text }}" },
      {
        id: "Explain {{ text }} to a child",
        label: "Explain {{ text }} to a child",
        raw: "Explain {{ text }} to a child",
      },
    ]);
  });

  it("splits a text file on --- lines, each prompt labelled `path: text`", () => {
    expect(prompts.slice(3, 5).map((p) => [p.label, p.raw])).toEqual([
      [`${FORMS}/prompts/two.txt: First prompt: {{ text }}`, "First prompt: {{ text }}"],
      [`${FORMS}/prompts/two.txt: Second prompt: {{ text | upper }}`, "Second prompt: {{ text | upper }}"],
    ]);
  });

  it("reads JSON and YAML chat files as lists of messages", () => {
    expect(prompts[5]).toEqual({
      id: "chat-json",
      label: "chat-json",
      raw: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "Who won the world series in {{ year }}?" },
      ],
    });
    const yamlJson =
      '[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Tell me about {{ text }}"}]';
    expect(prompts[6]?.label).toBe(`${FORMS}/prompts/chat.yaml: ${yamlJson.slice(0, 80)}`);
    expect(prompts[6]?.raw).toEqual([
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Tell me about {{ text }}" },
    ]);
  });

  it("reads a .jsonl file as one prompt a line, labelled `path: line`", () => {
    const line = '[{"role": "user", "content": "Line one: {{ text }}"}]';
    expect(prompts[7]).toEqual({
      id: `${FORMS}/prompts/lines.jsonl: ${line}`,
      label: `${FORMS}/prompts/lines.jsonl: ${line}`,
      raw: [{ role: "user", content: "Line one: {{ text }}" }],
    });
    expect(prompts[8]?.raw).toEqual([{ role: "user", content: "Line two: {{ text }}" }]);
  });

  it("reads a chat written inline, as a YAML list or as a JSON string", () => {
    expect(prompts[9]?.raw).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "{{ text }}" },
    ]);
    expect(prompts[9]?.label).toBe(
      '[{"role":"system","content":"You are terse."},{"role":"user","content":"{{ text }}"}]',
    );
    expect(prompts[10]).toEqual({
      id: '[{"role": "user", "content": "Inline JSON chat: {{ text }}"}]',
      label: '[{"role": "user", "content": "Inline JSON chat: {{ text }}"}]',
      raw: [{ role: "user", content: "Inline JSON chat: {{ text }}" }],
    });
  });

  it("expands a glob in file order and reads Markdown whole", () => {
    expect(prompts.slice(11, 13).map((p) => p.label)).toEqual([
      `${FORMS}/prompts/glob/a.txt: Glob A: {{ text }}`,
      `${FORMS}/prompts/glob/b.txt: Glob B: {{ text }}`,
    ]);
    expect(prompts[13]).toEqual({
      id: `${FORMS}/prompts/page.md: # Task\n\nDescribe {{ text }}.\n...`,
      label: `${FORMS}/prompts/page.md: # Task\n\nDescribe {{ text }}.\n...`,
      raw: "# Task\n\nDescribe {{ text }}.\n",
    });
    expect(prompts).toHaveLength(14);
  });

  it("renders every form to the messages it sends", () => {
    const vars = { text: "tides", year: 2020 };
    expect(renderPrompt(prompts[4] ?? "", vars)).toEqual([{ role: "user", content: "Second prompt: TIDES" }]);
    expect(renderPrompt(prompts[5] ?? "", vars)).toEqual([
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Who won the world series in 2020?" },
    ]);
    expect(renderPrompt(prompts[10] ?? "", vars)).toEqual([
      { role: "user", content: "Inline JSON chat: tides" },
    ]);
  });
});

describe("prompts: promptfoo's edge cases", () => {
  it("sends {{prompt}} when a config has no prompts", () => {
    const config = load(writeConfig({ "c.yaml": yaml("providers: [mock:echo]") }));
    expect(config.prompts).toEqual([{ id: "{{prompt}}", label: "{{prompt}}", raw: "{{prompt}}" }]);
  });

  it("labels a labelled text file's prompts `label: path: text`", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts:", "  - id: file://p.txt", "    label: Support", "providers: [mock:echo]"),
      "p.txt": "Hello {{ name }}\n",
    });
    const [prompt] = load(path).prompts;
    expect(prompt?.label).toMatch(/^Support: .*p\.txt: Hello \{\{ name \}\}$/);
  });

  it("splits text files on PROMPTFOO_PROMPT_SEPARATOR when it is set", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts: [file://p.txt]", "providers: [mock:echo]"),
      "p.txt": "one\n===\ntwo\n",
    });
    expect(load(path, { env: { PROMPTFOO_PROMPT_SEPARATOR: "===" } }).prompts.map((p) => p.raw)).toEqual([
      "one",
      "two",
    ]);
  });

  it("renders a JSON file that is a Nunjucks template, then reads the result as a chat", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts: [file://history.json]", "providers: [mock:echo]"),
      "history.json": [
        "[",
        "  {% for message in messages %}{% for role, content in message %}",
        '  { "role": "{{ role }}", "content": {{ content | dump }} },',
        "  {% endfor %}{% endfor %}",
        '  { "role": "user", "content": {{ question | dump }} }',
        "]",
      ].join("\n"),
    });
    const [prompt] = load(path).prompts;
    expect(typeof prompt?.raw).toBe("string");
    const vars = {
      messages: [{ user: "Who founded Facebook?" }, { assistant: "Mark Zuckerberg" }],
      question: 'Did he found "other" companies?',
    };
    expect(renderPrompt(prompt ?? "", vars)).toEqual([
      { role: "user", content: "Who founded Facebook?" },
      { role: "assistant", content: "Mark Zuckerberg" },
      { role: "user", content: 'Did he found "other" companies?' },
    ]);
  });

  it("keeps a prompt with '?' and '/' as text when no file matches it (promptfoo globs it first)", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts:", "  - 'Is this spam? Answer yes/no: {{ q }}'", "providers: [mock:echo]"),
    });
    expect(load(path).prompts[0]?.raw).toBe("Is this spam? Answer yes/no: {{ q }}");
  });

  it("reads the legacy {path: label} map", () => {
    const path = writeConfig({
      "c.yaml": yaml("prompts:", "  p.txt: short", "providers: [mock:echo]"),
      "p.txt": "Short: {{ x }}\n",
    });
    expect(load(path).prompts.map((p) => p.label)).toEqual([
      expect.stringMatching(/^short: .*p\.txt: Short/),
    ]);
  });

  it("reports a prompt that reads as a missing file, a bad template and a JSON prompt that is no chat", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts:",
        "  - 'Answer yes/no: {{ q }}'",
        "  - 'Hello {% if x %}there'",
        '  - \'{"text": "{{ q }}"}\'',
        "  - file://missing.txt",
        "  - file://none/*.txt",
        "providers: [mock:echo]",
      ),
    });
    const lines = problemsOf(path).map((line) => line.slice(path.length));
    expect(lines).toEqual([
      ':2: prompts[0]: "Answer yes/no: {{ q }}" reads as a file path (as promptfoo reads a prompt with "/", "*" or a short extension) and there is no such file; reword it or name a file',
      ":3: prompts[1]: template error: parseIf: expected elif, else, or endif, got end of file",
      ":4: prompts[2]: the prompt is JSON, so it must be a chat: a chat prompt is a non-empty list of messages",
      `:5: prompts[3]: no such prompt file ${path.replace(/c\.yaml$/, "missing.txt")}`,
      ":6: prompts[4]: no file matches file://none/*.txt",
    ]);
  });
});
