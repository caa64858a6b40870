import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRecipe } from "../../src/recipe/load-recipe.js";
import { resolveRunSettings } from "../../src/run/run-settings.js";

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "metasync-settings-"));
  mkdirSync(join(dir, "recipes"));
  writeFileSync(join(dir, "recipes", "system.txt"), "Be brief.");
  writeFileSync(join(dir, "prompt.txt"), "Summarize: {{text}}");
  writeFileSync(join(dir, "recipes", "r.yaml"), "system: '@system.txt'\ncsv_formulas: true\n");
  return dir;
}

describe("run settings for outputs", () => {
  it("neutralises CSV formulas unless --csv-formulas or the recipe's csv_formulas says not to", () => {
    const dir = folder();
    const recipe = loadRecipe(join(dir, "recipes", "r.yaml"));
    expect(resolveRunSettings("in.csv", {}, undefined, dir).csvFormulas).toBe(false);
    expect(resolveRunSettings("in.csv", { csvFormulas: true }, undefined, dir).csvFormulas).toBe(true);
    expect(resolveRunSettings("in.csv", {}, recipe, dir).csvFormulas).toBe(true);
  });

  it("lists the files the run reads, so that no output overwrites one", () => {
    const dir = folder();
    const recipe = loadRecipe(join(dir, "recipes", "r.yaml"));
    const settings = resolveRunSettings("in.csv", { template: "@prompt.txt" }, recipe, dir);
    expect(settings.reads).toEqual([
      { path: join(dir, "recipes", "r.yaml"), label: "the recipe" },
      { path: join(dir, "prompt.txt"), label: "the --template file" },
      { path: join(dir, "recipes", "system.txt"), label: "the --system file" },
    ]);
    expect(resolveRunSettings("in.csv", { template: "@@literal" }, undefined, dir).reads).toEqual([]);
  });
});
