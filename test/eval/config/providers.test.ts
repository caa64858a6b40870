import { describe, expect, it } from "vitest";
import { modelOf } from "../../../src/eval/config/providers.js";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

describe("providers", () => {
  it("maps promptfoo's ids to metasync models and keeps the id as written", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ q }}']",
        "providers:",
        "  - openai:chat:gpt-4o-mini",
        "  - openai:gpt-4.1-nano",
        "  - anthropic:messages:claude-haiku-4-5",
        "  - anthropic:claude-sonnet-4-5",
        "  - mock:echo",
        "  - openai:chat:ft:gpt-4o-mini:acme::abc123",
      ),
    });
    expect(load(path).providers.map((p) => [p.id, p.label, `${p.model.provider}:${p.model.model}`])).toEqual([
      ["openai:chat:gpt-4o-mini", "openai:gpt-4o-mini", "openai:gpt-4o-mini"],
      ["openai:gpt-4.1-nano", "openai:gpt-4.1-nano", "openai:gpt-4.1-nano"],
      ["anthropic:messages:claude-haiku-4-5", "anthropic:claude-haiku-4-5", "anthropic:claude-haiku-4-5"],
      ["anthropic:claude-sonnet-4-5", "anthropic:claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"],
      ["mock:echo", "mock:echo", "mock:echo"],
      [
        "openai:chat:ft:gpt-4o-mini:acme::abc123",
        "openai:ft:gpt-4o-mini:acme::abc123",
        "openai:ft:gpt-4o-mini:acme::abc123",
      ],
    ]);
  });

  it("reads {id, label, config}: request parameters, apiBaseUrl and apiKeyEnvar", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ q }}']",
        "providers:",
        "  - id: openai:chat:gpt-4o-mini",
        "    label: mini-cold",
        "    config:",
        "      temperature: 0",
        "      max_tokens: 64",
        "      top_p: 0.9",
        "      stop: END",
        "      seed: 7",
        "      response_format: { type: json_object }",
        "      apiBaseUrl: http://127.0.0.1:8080/v1",
        "      apiKeyEnvar: LOCAL_KEY",
      ),
    });
    expect(load(path).providers).toEqual([
      {
        id: "openai:chat:gpt-4o-mini",
        label: "mini-cold",
        model: { provider: "openai", model: "gpt-4o-mini" },
        params: {
          temperature: 0,
          max_tokens: 64,
          top_p: 0.9,
          stop: ["END"],
          seed: 7,
          response_format: { type: "json_object" },
        },
        baseUrl: "http://127.0.0.1:8080/v1",
        apiKeyEnv: "LOCAL_KEY",
      },
    ]);
  });

  it("reads a single provider string and promptfoo's {id: options} map form", () => {
    const single = writeConfig({ "c.yaml": yaml("prompts: ['{{ q }}']", "providers: openai:gpt-4o-mini") });
    expect(load(single).providers.map((p) => p.id)).toEqual(["openai:gpt-4o-mini"]);
    const map = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ q }}']",
        "providers:",
        "  - anthropic:messages:claude-haiku-4-5:",
        "      label: haiku",
        "      config: { temperature: 0.2 }",
      ),
    });
    expect(load(map).providers).toEqual([
      {
        id: "anthropic:messages:claude-haiku-4-5",
        label: "haiku",
        model: { provider: "anthropic", model: "claude-haiku-4-5" },
        params: { temperature: 0.2 },
      },
    ]);
  });

  it("takes `targets` as promptfoo does, as another name for providers", () => {
    const path = writeConfig({ "c.yaml": yaml("prompts: ['{{ q }}']", "targets: [mock:echo]") });
    expect(load(path).providers.map((p) => p.id)).toEqual(["mock:echo"]);
  });

  it("replaces the config's providers with -m models, promptfoo ids or metasync's", () => {
    const path = writeConfig({ "c.yaml": yaml("prompts: ['{{ q }}']", "providers: [mock:echo]") });
    const providers = load(path, {
      models: ["openai:gpt-4o-mini", "anthropic:messages:claude-haiku-4-5"],
    }).providers;
    expect(providers.map((p) => [p.id, p.label])).toEqual([
      ["openai:gpt-4o-mini", "openai:gpt-4o-mini"],
      ["anthropic:messages:claude-haiku-4-5", "anthropic:claude-haiku-4-5"],
    ]);
    expect(problemsOf(path, { models: ["bedrock:claude"] })).toEqual([
      '--model bedrock:claude: provider "bedrock:claude" is not supported (supported: openai:<model>, openai:chat:<model>, anthropic:messages:<model>, anthropic:<model>, mock:<model>)',
    ]);
  });

  it("refuses other providers, other OpenAI APIs and unknown config keys, each at its line", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "prompts: ['{{ q }}']",
        "providers:",
        "  - openai:embedding:text-embedding-3-small",
        "  - id: vertex:gemini-2.5-pro",
        "  - id: openai:gpt-4o-mini",
        "    config:",
        "      frequency_penalty: 0.5",
        "      temperature: 3",
        "  - id: mock:echo",
        "    transform: output.trim()",
        "  - anthropic:completion:claude-2",
        "  - openai:chat",
        "  - id: openai:gpt-4o-mini",
        "    config: { apiKey: sk-123 }",
      ),
    });
    expect(problemsOf(path).map((line) => line.slice(path.length))).toEqual([
      ':3: providers[0]: "openai:embedding:text-embedding-3-small": OpenAI\'s embedding API is not supported (chat models only)',
      ':4: providers[1]: provider "vertex:gemini-2.5-pro" is not supported (supported: openai:<model>, openai:chat:<model>, anthropic:messages:<model>, anthropic:<model>, mock:<model>)',
      ":7: providers[2].config.frequency_penalty is not supported",
      ":8: providers[2].config: temperature must be a number from 0 to 2, got 3",
      ":10: providers[3].transform is not supported",
      ':11: providers[4]: "anthropic:completion:claude-2": Anthropic\'s legacy completion API is not supported',
      ':12: providers[5]: "openai:chat" needs a model name (openai:chat:<model>)',
      ":14: providers[6].config.apiKey is not supported: put the key in an environment variable (apiKeyEnvar) or a --keys file",
    ]);
  });

  it("needs at least one provider unless -m gives them", () => {
    const path = writeConfig({ "c.yaml": yaml("prompts: ['{{ q }}']") });
    expect(problemsOf(path)).toEqual([
      `${path}: no providers: add providers (e.g. openai:gpt-4o-mini) or pass -m`,
    ]);
    expect(load(path, { models: ["mock:echo"] }).providers).toHaveLength(1);
  });

  it("modelOf: mock models are checked against the registry", () => {
    expect(modelOf("mock:echo?latency_ms=5")).toEqual({
      ok: true,
      ref: { provider: "mock", model: "echo?latency_ms=5" },
    });
    expect(modelOf("mock:parrot")).toEqual({
      ok: false,
      problem: 'unknown mock model "parrot" (known: echo, grader, instruct, reflect, paraphrase)',
    });
  });
});
