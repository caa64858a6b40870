import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/core/types.js";
import { ModelRouter } from "../../src/router/model-router.js";
import { loadRouter } from "../../src/router/router-file.js";
import { workDir } from "../e2e/cli.js";

function router(
  yaml: string,
  tokens = (messages: readonly ChatMessage[]) => JSON.stringify(messages).length,
) {
  const path = join(workDir(), "router.yaml");
  writeFileSync(path, yaml);
  return new ModelRouter(loadRouter(path), tokens);
}

const user = (content: ChatMessage["content"]): ChatMessage[] => [{ role: "user", content }];

describe("ModelRouter", () => {
  const rules = router(`
rules:
  - name: both
    when: { fields: { "customer.tier": premium }, prompt_matches: urgent }
    model: openai:gpt-4o
    fallbacks: [anthropic:claude-sonnet-4-5, gpt-4o-mini]
  - name: sized
    when: { prompt_tokens_over: 100, prompt_tokens_under: 200 }
    model: anthropic:claude-haiku-4-5
  - name: picture
    when: { has_image: true }
    model: openai:gpt-4o
  - name: rest
    model: openai:gpt-4o-mini
`);

  it("takes the first rule whose conditions all hold", () => {
    const premium = { customer: { tier: "premium" } };
    expect(rules.route(user("urgent: call back"), premium)).toMatchObject({
      ok: true,
      rule: "both",
      model: { provider: "openai", model: "gpt-4o" },
      fallbacks: [
        { provider: "anthropic", model: "claude-sonnet-4-5" },
        { provider: "openai", model: "gpt-4o-mini" },
      ],
    });
    expect(rules.route(user("no hurry"), premium)).toMatchObject({ rule: "rest" });
    expect(rules.route(user("urgent"), { customer: { tier: "basic" } })).toMatchObject({ rule: "rest" });
  });

  it("compares estimated prompt tokens strictly, and sees image parts", () => {
    expect(rules.route(user("x".repeat(120)), {})).toMatchObject({ rule: "sized" });
    expect(rules.route(user("x".repeat(300)), {})).toMatchObject({ rule: "rest" });
    const image = [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }];
    expect(rules.route(user(image), {})).toMatchObject({ rule: "picture" });
    expect(rules.models).toHaveLength(6);
  });

  it("says so when no rule takes a row", () => {
    const partial = router("rules:\n  - when: { has_image: true }\n    model: openai:gpt-4o\n");
    expect(partial.route(user("x"), {})).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/no rule of .*router\.yaml takes this row/),
    });
  });
});

describe("loadRouter", () => {
  it("reads /regex/flags and lists of field values", () => {
    const only = router(
      'rules:\n  - when: { prompt_matches: "/^HELLO/i", fields: { n: [1, 2] } }\n    model: openai:gpt-4o\n  - model: openai:gpt-4o-mini\n',
    );
    expect(only.route(user("hello"), { n: 2 })).toMatchObject({ rule: "rule 1" });
    expect(only.route(user("hello"), { n: 3 })).toMatchObject({ rule: "rule 2" });
  });

  it("refuses what is not a router, with lines", () => {
    expect(() => router("rules: []\n")).toThrow(
      /router\.yaml:1: "rules" must be a list of at least one rule/,
    );
    expect(() => router("rule:\n  - model: openai:gpt-4o\n")).toThrow(
      /:1: unknown key "rule" \(known: rules\)/,
    );
    expect(() => router("rules:\n  - model: openai:gpt-4o\n    when: {}\n")).toThrow(
      /:3: rule 1: "when" must be a mapping of conditions/,
    );
    expect(() =>
      router("rules:\n  - name: a\n    model: openai:x\n  - name: a\n    model: openai:y\n"),
    ).toThrow(/:4: rule 2 \(a\): the name "a" is taken by line 2/);
  });
});
