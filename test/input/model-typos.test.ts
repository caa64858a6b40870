import { describe, expect, it } from "vitest";
import { builtInPrices } from "../../src/cost/price-table.js";
import { modelTypos } from "../../src/input/model-typos.js";
import { editDistance, nearestName } from "../../src/input/nearest-name.js";

const ref = (spec: string) => {
  const colon = spec.indexOf(":");
  return { provider: spec.slice(0, colon), model: spec.slice(colon + 1) };
};

describe("editDistance", () => {
  it.each([
    ["mini", "mini", 0],
    ["mnii", "mini", 1],
    ["mni", "mini", 1],
    ["minii", "mini", 1],
    ["mimi", "mini", 1],
    ["kitten", "sitting", 3],
    ["", "abc", 3],
  ])("%s → %s: %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it("stops counting past the limit", () => {
    expect(editDistance("abcdefgh", "zyxwvuts", 2)).toBe(3);
  });
});

describe("nearestName", () => {
  it("finds the nearest within the limit, a case difference first", () => {
    expect(nearestName("txt", ["id", "text", "title"], 1)).toBe("text");
    expect(nearestName("Text", ["id", "text"], 1)).toBe("text");
    expect(nearestName("body", ["id", "text"], 1)).toBeUndefined();
  });
});

describe("modelTypos", () => {
  const prices = builtInPrices();

  it("asks about a model one edit away from a known one", () => {
    expect(modelTypos([ref("openai:gpt-4o-mnii"), ref("anthropic:claude-haiku-4.5")], prices)).toEqual([
      "model openai:gpt-4o-mnii is not one metasync knows: did you mean openai:gpt-4o-mini? (sent as given)",
      "model anthropic:claude-haiku-4.5 is not one metasync knows: did you mean anthropic:claude-haiku-4-5? (sent as given)",
    ]);
  });

  it("leaves known models, snapshots, aliases and models far from any known one alone", () => {
    const fine = [
      "openai:gpt-4o-mini",
      "openai:gpt-4o-mini-2024-07-18",
      "anthropic:claude-3-5-haiku-latest",
      "openai:llama3.1:8b",
      "openai:ft:gpt-4o-mini:acme::x1",
      "mock:echo",
    ];
    expect(modelTypos(fine.map(ref), prices)).toEqual([]);
  });

  it("asks once per model and only among its provider's models", () => {
    const typo = ref("openai:gpt-4o-mnii");
    expect(modelTypos([typo, { ...typo }], prices)).toHaveLength(1);
    expect(modelTypos([ref("anthropic:gpt-4o-mnii")], prices)).toEqual([]);
  });
});
