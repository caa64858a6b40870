import { describe, expect, it } from "vitest";
import { resolveModel } from "../../providers/model-ref.js";

const MOCK = { provider: "mock", model: "echo" };

describe("resolveModel", () => {
  it("reads provider:model", () => {
    expect(resolveModel("mock:echo")).toEqual({ ok: true, ref: MOCK });
    expect(resolveModel("  openai:gpt-4o-mini ")).toEqual({
      ok: true,
      ref: { provider: "openai", model: "gpt-4o-mini" },
    });
  });

  it("keeps the mock's options, which contain their own punctuation", () => {
    expect(resolveModel("mock:echo?fail_rate=1&fail_type=bad_request")).toEqual({
      ok: true,
      ref: { provider: "mock", model: "echo?fail_rate=1&fail_type=bad_request" },
    });
  });

  it.each([
    ["gpt-4o-mini", "openai"],
    ["chatgpt-4o-latest", "openai"],
    ["o1-mini", "openai"],
    ["o3", "openai"],
    ["o4-mini", "openai"],
    ["claude-haiku-4-5", "anthropic"],
  ])("infers the provider of the bare name %s (%s)", (model, provider) => {
    expect(resolveModel(model)).toEqual({ ok: true, ref: { provider, model } });
  });

  it("gives a bare name the fallback's provider, even one that looks like another provider's", () => {
    expect(resolveModel("echo", MOCK)).toEqual({ ok: true, ref: MOCK });
    expect(resolveModel("gpt-4o", { provider: "anthropic", model: "x" })).toEqual({
      ok: true,
      ref: { provider: "anthropic", model: "gpt-4o" },
    });
  });

  it("treats an unknown prefix as part of the model name when there is a fallback", () => {
    // e.g. an OpenAI fine-tune id: ft:gpt-4o-mini:org::abc
    expect(resolveModel("ft:gpt-4o-mini:org::abc", { provider: "openai", model: "gpt-4o" })).toEqual({
      ok: true,
      ref: { provider: "openai", model: "ft:gpt-4o-mini:org::abc" },
    });
  });

  it("asks for a prefix when a bare name cannot be inferred", () => {
    const result = resolveModel("llama3");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(
      /^model "llama3" has no provider; write it as provider:model/,
    );
  });

  it("names an unknown provider and lists the known ones", () => {
    const result = resolveModel("nope:model");
    expect(!result.ok && result.problem).toMatch(/^unknown provider "nope" \(known: .*mock.*\)$/);
  });

  it("rejects an unknown mock model and bad mock options", () => {
    expect(resolveModel("mock:parrot")).toEqual({
      ok: false,
      problem: 'unknown mock model "parrot" (known: echo, grader, instruct, reflect, paraphrase)',
    });
    expect(!resolveModel("mock:echo?fail_rate=2").ok).toBe(true);
    expect(!resolveModel("mock:echo?colour=red").ok).toBe(true);
  });

  it("rejects an empty model and a provider with no model", () => {
    expect(resolveModel(" ")).toEqual({ ok: false, problem: "model is empty" });
    expect(resolveModel("mock:")).toEqual({ ok: false, problem: 'model name missing after "mock:"' });
  });
});
