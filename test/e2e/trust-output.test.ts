import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

describe("CSV results and spreadsheet formulas", () => {
  const payloads = [
    "=1+2",
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(A1)",
    "\t=cmd",
    "\r=cmd",
    '=HYPERLINK("http://x","y")',
  ];
  const csv = `id,text\n${payloads.map((p, i) => `r${i},"${p.replace(/"/g, '""')}"`).join("\n")}\n`;

  function cells(cwd: string): { input: string[][]; output: string[] } {
    const rows = parse(readFileSync(join(cwd, "out.csv")), { relaxQuotes: false }) as string[][];
    const [header = [], ...body] = rows;
    return {
      input: body.map((row) => row.slice(0, 2)),
      output: body.map((row) => row[header.indexOf("output")] ?? ""),
    };
  }

  it("an answer that starts like a formula is written with a leading '; input columns byte for byte", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), csv);
    const result = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-t", "{{text}}", "--state", "st.db", "-o", "out.csv"],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const { input, output } = cells(cwd);
    expect(input).toEqual(payloads.map((p, i) => [`r${i}`, p]));
    expect(output).toEqual(payloads.map((p) => `'${p}`));
  });

  it("--csv-formulas (or csv_formulas in a recipe) writes them as they are", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.csv"), csv);
    const flag = await runCli(
      [
        "run",
        "in.csv",
        "-m",
        "mock:echo",
        "-t",
        "{{text}}",
        "--state",
        "st.db",
        "-o",
        "out.csv",
        "--csv-formulas",
      ],
      { cwd },
    );
    expect(flag.code, flag.stderr).toBe(0);
    expect(cells(cwd).output).toEqual(payloads);

    rmSync(join(cwd, "out.csv"));
    writeFileSync(join(cwd, "recipe.yaml"), "template: '{{text}}'\ncsv_formulas: true\n");
    const recipe = await runCli(
      ["run", "in.csv", "-m", "mock:echo", "-r", "recipe.yaml", "--state", "st2.db", "-o", "out.csv"],
      { cwd },
    );
    expect(recipe.code, recipe.stderr).toBe(0);
    expect(cells(cwd).output).toEqual(payloads);
  });
});
