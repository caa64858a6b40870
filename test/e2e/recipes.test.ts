import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { assertBuilt, jsonLines, ROOT, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

/** Each example recipe and the fixture it is shown running on. */
const RECIPES: { recipe: string; fixture: string }[] = [
  { recipe: "summarize.yaml", fixture: "reviews.csv" },
  { recipe: "classify.yaml", fixture: "tickets.csv" },
  { recipe: "extract.yaml", fixture: "emails.jsonl" },
  { recipe: "translate.yaml", fixture: "phrases.csv" },
];

function rowCount(path: string): number {
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".csv")) return (parse(text, { bom: true }) as string[][]).length - 1;
  return jsonLines(text).length;
}

describe("recipes/", () => {
  it("holds only recipes this test runs", () => {
    const yamlFiles = readdirSync(join(ROOT, "recipes")).filter((f) => /\.ya?ml$/.test(f));
    expect(yamlFiles.sort()).toEqual(RECIPES.map((r) => r.recipe).sort());
  });

  it.each(RECIPES)("$recipe describes itself and names a real provider's model", ({ recipe }) => {
    const values = parseYaml(readFileSync(join(ROOT, "recipes", recipe), "utf8")) as Record<string, unknown>;
    expect(typeof values.description).toBe("string");
    expect(String(values.description).length).toBeGreaterThan(10);
    expect(values.model).toMatch(/^(openai|anthropic):/);
    expect(typeof values.template).toBe("string");
  });
});

describe.concurrent("each recipe runs on its fixture", () => {
  it.each(RECIPES)("$recipe on fixtures/$fixture", async ({ recipe, fixture }) => {
    const cwd = workDir();
    const out = fixture.endsWith(".csv") ? "out.csv" : "out.jsonl";
    const result = await runCli(
      ["run", `fixtures/${fixture}`, "-r", `recipes/${recipe}`, "-m", "mock:echo", "-o", out],
      {
        cwd,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const expected = rowCount(join(cwd, "fixtures", fixture));
    expect(expected).toBeGreaterThanOrEqual(4);
    expect(rowCount(join(cwd, out))).toBe(expected);
    if (out.endsWith(".csv")) {
      const rows = parse(readFileSync(join(cwd, out), "utf8")) as string[][];
      const status = rows[0]?.indexOf("status") ?? -1;
      expect(rows.slice(1).every((row) => row[status] === "ok")).toBe(true);
    } else {
      expect(jsonLines(readFileSync(join(cwd, out), "utf8")).every((line) => line.status === "ok")).toBe(
        true,
      );
    }
  });
});
