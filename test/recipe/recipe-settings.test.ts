import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRecipe } from "../../src/recipe/load-recipe.js";
import { resolveRunSettings } from "../../src/run/run-settings.js";

/** A recipe in <tmp>/recipes/, with prompt files beside it, and a separate working directory. */
function layout() {
  const root = mkdtempSync(join(tmpdir(), "metasync-recipe-"));
  const recipes = join(root, "recipes");
  const cwd = join(root, "work");
  mkdirSync(recipes);
  mkdirSync(cwd);
  writeFileSync(join(recipes, "prompt.txt"), "From the recipe's folder: {{text}}");
  writeFileSync(join(cwd, "prompt.txt"), "From the working directory: {{text}}");
  writeFileSync(join(recipes, "system.txt"), "System from the recipe's folder.");
  return { recipes, cwd };
}

describe("a recipe's options in a run", () => {
  it("reads @file templates relative to the recipe, not the working directory", () => {
    const { recipes, cwd } = layout();
    const path = join(recipes, "r.yaml");
    writeFileSync(path, "model: mock:echo\ntemplate: '@prompt.txt'\nsystem: '@system.txt'\n");
    const settings = resolveRunSettings("in.csv", {}, loadRecipe(path), cwd);
    expect(settings.template?.source).toBe("From the recipe's folder: {{text}}");
    expect(settings.system?.source).toBe("System from the recipe's folder.");
  });

  it("reads an @file template given as a flag relative to the working directory", () => {
    const { recipes, cwd } = layout();
    const path = join(recipes, "r.yaml");
    writeFileSync(path, "model: mock:echo\ntemplate: '@prompt.txt'\n");
    const settings = resolveRunSettings("in.csv", { template: "@prompt.txt" }, loadRecipe(path), cwd);
    expect(settings.template?.source).toBe("From the working directory: {{text}}");
  });

  it("lets flags override the recipe, option by option", () => {
    const { recipes, cwd } = layout();
    const path = join(recipes, "r.yaml");
    writeFileSync(
      path,
      "model: openai:gpt-4o-mini\ntemplate: 'A {{text}}'\ntemperature: 0\nmax_tokens: 5\nconcurrency: 2\n",
    );
    const settings = resolveRunSettings(
      "in.csv",
      { model: "mock:echo", maxTokens: 50 },
      loadRecipe(path),
      cwd,
    );
    expect(settings.model).toEqual({ provider: "mock", model: "echo" });
    expect(settings.params).toEqual({ temperature: 0, max_tokens: 50 });
    expect(settings.template?.source).toBe("A {{text}}");
    expect(settings.concurrency).toBe(2);
  });

  it("names a missing @file", () => {
    const { recipes, cwd } = layout();
    const path = join(recipes, "r.yaml");
    writeFileSync(path, "template: '@nope.txt'\n");
    expect(() => resolveRunSettings("in.csv", {}, loadRecipe(path), cwd)).toThrow(
      `--template @nope.txt: no such file ${join(recipes, "nope.txt")}`,
    );
  });
});
