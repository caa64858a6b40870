import { describe, expect, it } from "vitest";
import { messageText } from "../../../src/core/types.js";
import { renderPrompt } from "../../../src/eval/render.js";
import { load } from "./support.js";

describe("fixtures/eval: the README's example, offline", () => {
  const config = load("fixtures/eval/promptfooconfig.yaml");

  it("has three prompts, two mock:echo providers and seven tests after expansion", () => {
    expect(config.description).toBe("Route support tickets to billing, tech or sales");
    expect(config.prompts.map((p) => p.label)).toEqual([
      expect.stringMatching(/^fixtures\/eval\/prompts\/route\.txt: Route this support ticket/),
      expect.stringMatching(/^fixtures\/eval\/prompts\/route\.txt: You route support tickets/),
      "route-chat",
    ]);
    expect(config.providers.map((p) => [p.label, p.model.provider])).toEqual([
      ["echo", "mock"],
      ["echo-slow", "mock"],
    ]);
    expect(config.tests.map((t) => t.description)).toEqual([
      "double charge",
      "crash on upload",
      "volume pricing",
      "an empty ticket still gets routed",
      "one ticket in three languages",
      "one ticket in three languages",
      "one ticket in three languages",
    ]);
    expect(config).toMatchObject({ maxConcurrency: 4, metasync: { concurrency: 4, maxCost: 0.01 } });
  });

  it("uses only deterministic assertions, defaultTest's first", () => {
    const types = new Set(config.tests.flatMap((t) => t.assert.map((a) => a.type)));
    expect([...types].sort()).toEqual([
      "contains",
      "equals",
      "icontains",
      "icontains-any",
      "javascript",
      "not-contains",
      "not-icontains",
      "regex",
    ]);
    for (const test of config.tests)
      expect(test.assert[0]).toEqual({ type: "not-contains", value: "password" });
  });

  it("renders every test × prompt to a chat whose last user message holds the ticket", () => {
    for (const test of config.tests) {
      for (const prompt of config.prompts) {
        const messages = renderPrompt(prompt, test.vars);
        const last = messages.filter((m) => m.role === "user").at(-1);
        expect(messageText(last?.content ?? "")).toContain(String(test.vars.ticket));
      }
    }
  });
});
