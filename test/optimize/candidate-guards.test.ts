import { describe, expect, it } from "vitest";
import {
  candidateProblem,
  lastFencedBlock,
  normalizedPrompt,
  withTargetText,
} from "../../src/optimize/candidate-guards.js";

const source = { system: undefined, template: "Classify: {{text}}" };

describe("candidate guards (before anything is spent)", () => {
  it("accepts a rewrite that keeps the variables", () => {
    expect(
      candidateProblem({ system: undefined, template: "Label it. {{text}}" }, source, new Set(), 100),
    ).toBeUndefined();
  });

  it("rejects a dropped or an added {{variable}}, and a broken template", () => {
    expect(
      candidateProblem({ system: undefined, template: "Classify the ticket." }, source, new Set(), 100),
    ).toMatch(/drops \{\{text\}\}/);
    expect(
      candidateProblem({ system: undefined, template: "{{text}} {{lang}}" }, source, new Set(), 100),
    ).toMatch(/adds \{\{lang\}\}/);
    expect(
      candidateProblem({ system: undefined, template: "{{text}} {{oops" }, source, new Set(), 100),
    ).toMatch(/not a valid template/);
  });

  it("rejects a prompt already tried (whitespace and case aside) and one over --max-prompt-tokens", () => {
    const tried = new Set([normalizedPrompt({ system: undefined, template: "Classify:  {{text}}" })]);
    expect(
      candidateProblem({ system: undefined, template: "classify: {{text}}" }, source, tried, 100),
    ).toMatch(/repeats/);
    expect(
      candidateProblem({ system: undefined, template: `${"x".repeat(50)} {{text}}` }, source, new Set(), 10),
    ).toMatch(/longer than --max-prompt-tokens 10/);
  });
});

describe("the reply contract", () => {
  it("takes the last fenced block of the reply", () => {
    expect(lastFencedBlock("I think\n```\nfirst\n```\nbetter:\n```text\nsecond {{text}}\n```\n")).toBe(
      "second {{text}}",
    );
    expect(lastFencedBlock("no block here")).toBeUndefined();
  });

  it("splits a --target both reply at its separator line, and refuses one without it", () => {
    const both = withTargetText(
      source,
      "both",
      "Be terse.\n=== user message template ===\nClassify: {{text}}",
    );
    expect(both).toEqual({ ok: true, parts: { system: "Be terse.", template: "Classify: {{text}}" } });
    expect(withTargetText(source, "both", "just one part").ok).toBe(false);
  });
});
