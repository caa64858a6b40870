import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { loadRecipe } from "../../src/recipe/load-recipe.js";

function recipeFile(text: string, name = "recipe.yaml"): string {
  const path = join(mkdtempSync(join(tmpdir(), "metasync-recipe-")), name);
  writeFileSync(path, text);
  return path;
}

function loadError(path: string): ConfigError {
  try {
    loadRecipe(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the recipe to be rejected");
}

describe("loadRecipe", () => {
  it("reads options, template and system, ignoring description and name", () => {
    const path = recipeFile(
      [
        "name: classify",
        "description: Label support tickets.",
        "model: openai:gpt-4o-mini",
        "system: |",
        "  Reply with one label.",
        "template: 'Ticket: {{body}}'",
        "temperature: 0",
        "max_tokens: 5",
        "stop: [END, STOP]",
        "concurrency: 4",
      ].join("\n"),
    );
    expect(loadRecipe(path)).toEqual({
      path,
      values: {
        model: "openai:gpt-4o-mini",
        system: "Reply with one label.\n",
        template: "Ticket: {{body}}",
        temperature: 0,
        maxTokens: 5,
        stop: ["END", "STOP"],
        concurrency: 4,
      },
    });
  });

  it("accepts snake_case, kebab-case and camelCase keys for the same option", () => {
    for (const key of ["max_tokens", "max-tokens", "maxTokens"]) {
      expect(loadRecipe(recipeFile(`${key}: 12\n`)).values).toEqual({ maxTokens: 12 });
    }
    expect(loadRecipe(recipeFile("base-url: http://127.0.0.1:8080/v1\ntop_p: 0.9\n")).values).toEqual({
      baseUrl: "http://127.0.0.1:8080/v1",
      topP: 0.9,
    });
  });

  it("takes a single stop string as a list of one", () => {
    expect(loadRecipe(recipeFile("stop: END\n")).values).toEqual({ stop: ["END"] });
  });

  it("treats an empty file as a recipe with no options", () => {
    expect(loadRecipe(recipeFile("")).values).toEqual({});
  });

  it("reports every unknown key with its line", () => {
    const path = recipeFile("model: mock:echo\ntemprature: 0\nprompt: hi\n");
    expect(loadError(path).message).toBe(
      `${path}:2: unknown key "temprature"\n${path}:3: unknown key "prompt"`,
    );
  });

  it("rejects an option a recipe may not set", () => {
    const path = recipeFile("model: mock:echo\nrecipe: other.yaml\n");
    expect(loadError(path).message).toBe(`${path}:2: unknown key "recipe"`);
  });

  it.each([
    ["temperature: hot", "temperature", "a number"],
    ["max_tokens: 1.5", "max_tokens", "a whole number"],
    ["concurrency: '8'", "concurrency", "a whole number"],
    ["template: [a, b]", "template", "text"],
    ["stop: [1, 2]", "stop", "text or a list of texts"],
  ])("reports a wrong type (%s) at the line of the value", (line, key, expected) => {
    const path = recipeFile(`model: mock:echo\n\n${line}\n`);
    expect(loadError(path).message).toBe(`${path}:3: "${key}" must be ${expected}`);
  });

  it("reports malformed YAML with its line", () => {
    const duplicate = recipeFile("model: mock:echo\ntemperature: 0\ntemperature: 1\n");
    expect(loadError(duplicate).message).toBe(`${duplicate}:3: malformed YAML: Map keys must be unique`);
    const unclosed = recipeFile("model: mock:echo\ntemplate: 'unclosed\ntemperature: 0\n");
    expect(loadError(unclosed).message).toMatch(
      /^.*recipe\.yaml:\d+: malformed YAML: Missing closing 'quote/,
    );
  });

  it("rejects a recipe that is not a mapping", () => {
    const path = recipeFile("- model: mock:echo\n");
    expect(loadError(path).message).toBe(`${path}:1: a recipe is a mapping of option: value`);
  });

  it("names a missing recipe file", () => {
    const path = join(tmpdir(), "no-such-recipe.yaml");
    expect(loadError(path).message).toBe(`${path}: no such recipe file`);
  });
});
