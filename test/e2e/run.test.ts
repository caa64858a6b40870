import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, filesNamed, jsonLines, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

const RESULT_COLUMNS = [
  "output",
  "status",
  "error",
  "model",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "latency_ms",
  "attempts",
];

describe.concurrent("metasync run", () => {
  it("runs the Quick start: CSV in, CSV out with the input columns unchanged", async () => {
    const cwd = workDir();
    const result = await runCli(
      ["run", "fixtures/reviews.csv", "-m", "mock:echo", "-t", "Summarize: {{text}}", "-o", "out.csv"],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");

    const input = parse(readFileSync(join(cwd, "fixtures", "reviews.csv")), { bom: true }) as string[][];
    const output = parse(readFileSync(join(cwd, "out.csv")), { bom: true }) as string[][];
    const [inputHeader = [], ...inputRows] = input;
    const [outputHeader = [], ...outputRows] = output;
    expect(outputHeader).toEqual([...inputHeader, ...RESULT_COLUMNS]);
    expect(outputRows).toHaveLength(inputRows.length);
    // The fixture has what tends to break: an embedded newline, doubled quotes, accents and emoji.
    const texts = inputRows.map((row) => row[2] ?? "");
    expect(texts.some((t) => t.includes("\n") && t.includes('"uniform"'))).toBe(true);
    expect(texts.some((t) => t.includes("crème") && t.includes("😊"))).toBe(true);
    for (const [i, row] of outputRows.entries()) {
      const inputRow = inputRows[i] ?? [];
      expect(row.slice(0, inputHeader.length)).toEqual(inputRow);
      const cell = (name: string) => row[outputHeader.indexOf(name)];
      expect(cell("output")).toBe(`Summarize: ${inputRow[2]}`);
      expect(cell("status")).toBe("ok");
      expect(cell("error")).toBe("");
      expect(cell("model")).toBe("mock:echo");
      expect(cell("attempts")).toBe("1");
      expect(Number(cell("input_tokens"))).toBeGreaterThan(0);
    }
  });

  it("reads JSONL from stdin and writes only result lines to stdout", async () => {
    const cwd = workDir();
    const stdin = [
      { id: "a", prompt: "first question" },
      { id: "b", messages: [{ role: "user", content: "second — ünïcode" }] },
      { id: "c", prompt: "third" },
    ]
      .map((row) => JSON.stringify(row))
      .join("\n");
    const result = await runCli(["run", "-", "-m", "mock:echo"], { cwd, stdin });
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(["a", "b", "c"]);
    const byId = Object.fromEntries(lines.map((l) => [l.id, l]));
    expect(byId.b).toMatchObject({
      status: "ok",
      output: "second — ünïcode",
      model: "mock:echo",
      error: null,
    });
    expect(byId.a).toMatchObject({ status: "ok", output: "first question", attempts: 1 });
    // Progress and the summary go to stderr, never into the results.
    expect(result.stdout).not.toContain("metasync:");
    expect(result.stderr).toMatch(/3 items/);
  });

  it("writes a .jsonl results file in input order", async () => {
    const cwd = workDir();
    const result = await runCli(["run", "fixtures/prompts.jsonl", "-m", "mock:echo", "-o", "out.jsonl"], {
      cwd,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(lines.map((l) => l.id)).toEqual(["q1", "q2", "q3", "q4"]);
    expect(lines.map((l) => l.output)).toEqual([
      "What is the capital of France?",
      "Name three prime numbers.",
      "Write a haiku about rain.",
      "Translate 'good morning' to German.",
    ]);
    expect(filesNamed(cwd, "out")).toEqual(["out.jsonl"]);
  });

  it("exits 1 when items fail, with the errors in the results", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"id":"x","prompt":"one"}\n{"id":"y","prompt":"two"}\n');
    const result = await runCli(
      ["run", "in.jsonl", "-m", "mock:echo?fail_rate=1&fail_type=bad_request", "-o", "out.jsonl"],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(1);
    const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({
        status: "error",
        output: null,
        attempts: 1,
        error: { type: "bad_request", status: 400 },
      });
    }
    expect(result.stderr).toMatch(/2 failed/);
  });

  it("runs a recipe, reading its @file template relative to the recipe", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "recipes", "shout.txt"), "SHOUT: {{text}}");
    writeFileSync(
      join(cwd, "recipes", "shout.yaml"),
      "description: test recipe\nmodel: mock:echo\ntemplate: '@shout.txt'\nmax_tokens: 500\n",
    );
    const result = await runCli(
      ["run", "fixtures/reviews.csv", "-r", "recipes/shout.yaml", "-o", "out.jsonl"],
      {
        cwd,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(readFileSync(join(cwd, "out.jsonl"), "utf8"));
    expect(lines.map((l) => l.id)).toEqual(["r1", "r2", "r3", "r4"]);
    expect(lines[0]?.output).toBe("SHOUT: Boils fast, but the lid sticks. Would buy again, I guess.");
  });

  it("lets flags override the recipe's model, template and results file", async () => {
    const cwd = workDir();
    writeFileSync(
      join(cwd, "recipe.yaml"),
      [
        "model: openai:gpt-4o-mini",
        "template: 'From the recipe: {{text}}'",
        "out: recipe-results.jsonl",
      ].join("\n"),
    );
    const result = await runCli(
      [
        "run",
        "fixtures/reviews.csv",
        "-r",
        "recipe.yaml",
        "-m",
        "mock:echo",
        "-t",
        "From a flag: {{product}}",
        "-o",
        "flag-results.jsonl",
      ],
      { cwd },
    );
    // No OpenAI key is set: it can only succeed because -m replaced the recipe's model.
    expect(result.code, result.stderr).toBe(0);
    expect(filesNamed(cwd, "results")).toEqual(["flag-results.jsonl"]);
    const lines = jsonLines(readFileSync(join(cwd, "flag-results.jsonl"), "utf8"));
    expect(lines.map((l) => l.output)).toEqual([
      "From a flag: Kettle",
      "From a flag: Toaster",
      "From a flag: Café press",
      "From a flag: Blender",
    ]);
  });
});
