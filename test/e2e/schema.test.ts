import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";
import { promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const PROVIDERS = [
  { provider: "openai", model: "openai:gpt-4o-mini", key: "sk-test-schema-0123456789" },
  { provider: "anthropic", model: "anthropic:claude-haiku-4-5", key: "sk-ant-test-schema-0123456789" },
] as const;

const CONTRACTS = [
  "id,text",
  '1,"party: ACME Corp, amount: 1200.5, date: 2024-01-02"',
  '2,"party: Foo Ltd; amount: 99"',
  "",
].join("\n");

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
}

function csvHeader(path: string): string[] {
  return (parse(readFileSync(path, "utf8"), { to: 1 }) as string[][])[0] ?? [];
}

describe.concurrent("--schema through the real SDKs against mock-server", () => {
  for (const { provider, model, key } of PROVIDERS) {
    for (const stream of [false, true]) {
      it(`${provider}${stream ? " (streamed)" : ""}: the schema's fields become CSV columns after the input's`, async (test) => {
        const server = await serve(test);
        const cwd = workDir();
        writeFileSync(join(cwd, "contracts.csv"), CONTRACTS);
        const args = [
          "run",
          "contracts.csv",
          "-t",
          "Extract from: {{text}}",
          "--schema",
          "party, amount float, date",
        ];
        const run = await runCli(
          [
            ...args,
            "-m",
            model,
            "-o",
            "fields.csv",
            "--state",
            "state.db",
            "--progress",
            "none",
            ...(stream ? ["--stream"] : []),
          ],
          { cwd, env: providerEnv(provider, server, key) },
        );
        expect(run.code, run.stderr).toBe(0);
        const out = join(cwd, "fields.csv");
        expect(csvHeader(out)).toEqual([
          "id",
          "text",
          "party",
          "amount",
          "date",
          "output",
          "status",
          "error",
          "model",
          "input_tokens",
          "output_tokens",
          "cost_usd",
          "latency_ms",
          "attempts",
        ]);
        const rows = csvRows(out);
        expect(rows[0]).toMatchObject({
          id: "1",
          party: "ACME Corp",
          amount: "1200.5",
          date: "2024-01-02",
          status: "ok",
        });
        expect(JSON.parse(rows[0]?.output ?? "")).toEqual({
          party: "ACME Corp",
          amount: 1200.5,
          date: "2024-01-02",
        });
        expect(rows[1]).toMatchObject({ id: "2", party: "Foo Ltd", amount: "99", status: "ok", model });
        expect(server.stats().status_counts).toEqual({ "200": 2 });

        // export writes the same columns from the state database.
        const runs = await runCli(["runs", "--json", "--state", "state.db"], { cwd });
        const runId = (JSON.parse(runs.stdout) as { run_id: string }[])[0]?.run_id ?? "";
        const exported = await runCli(["export", runId, "-o", "again.csv", "--state", "state.db"], { cwd });
        expect(exported.code, exported.stderr).toBe(0);
        expect(readFileSync(join(cwd, "again.csv"), "utf8")).toBe(readFileSync(out, "utf8"));
      });
    }

    it(`${provider}: an invalid answer is retried as invalid_output, and paid for`, async (test) => {
      const server = await serve(test);
      const cwd = promptsDir([
        { id: "once", prompt: "name: Ada [[fault:invalid_outputx1]]" },
        { id: "never", prompt: "name: Bob [[fault:invalid_output]]" },
      ]);
      const run = await runPrompts(cwd, ["-m", model, "--schema", "name, age int", "--max-attempts", "3"], {
        ...providerEnv(provider, server, key),
      });
      expect(run.code, run.stderr).toBe(1);
      const once = run.results.once ?? {};
      expect(once).toMatchObject({
        status: "ok",
        attempts: 2,
        output_json: { name: "Ada [[fault:invalid_outputx1]]" },
      });
      expect((once.output_json as { age: number }).age).toBeTypeOf("number");
      // Both answers were billed: the usage counts the invalid one too.
      const usage = once.usage as { output_tokens: number };
      expect(usage.output_tokens).toBeGreaterThan(Math.ceil((once.output as string).length / 4));
      const never = run.results.never ?? {};
      expect(never).toMatchObject({ status: "error", attempts: 3, output: null });
      expect(never.error).toMatchObject({ type: "invalid_output" });
      expect((never.error as { message: string }).message).toContain("must have required property 'name'");
      expect(server.stats().status_counts).toEqual({ "200": 5 });

      // An invalid answer never enters the response cache: a fresh run sends the failed row again,
      // while the valid answer comes from the cache.
      const again = await runPrompts(
        cwd,
        ["-m", model, "--schema", "name, age int", "--max-attempts", "1", "--fresh"],
        {
          ...providerEnv(provider, server, key),
        },
      );
      expect(again.code, again.stderr).toBe(1);
      expect(again.results.once).toMatchObject({ status: "ok", cached: true });
      expect(again.results.never).toMatchObject({ status: "error", attempts: 1 });
      expect(server.stats().status_counts).toEqual({ "200": 6 });
    });
  }
});

describe.concurrent("--schema offline", () => {
  it("a row's own response_format wins over --schema, and a bad one is refused at its line", async () => {
    const own = {
      type: "json_schema",
      json_schema: {
        name: "n",
        schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
      },
    };
    const cwd = promptsDir([
      { id: "a", prompt: "party: ACME" },
      { id: "b", messages: [{ role: "user", content: "n: 7" }], response_format: own },
    ]);
    const run = await runPrompts(cwd, ["-m", "mock:echo", "--schema", "party"], {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.a).toMatchObject({ output_json: { party: "ACME" } });
    expect(run.results.b).toMatchObject({ output_json: { n: 7 } });

    const bad = promptsDir([
      { id: "a", prompt: "x" },
      { id: "b", prompt: "y", response_format: { type: "json_schema", json_schema: { name: "x" } } },
    ]);
    const refused = await runPrompts(bad, ["-m", "mock:echo"], {});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('prompts.jsonl:2: response_format of type "json_schema" needs');
  });

  it("a bad --schema exits 2 before anything is read", async () => {
    const cwd = promptsDir([{ id: "a", prompt: "x" }]);
    const concise = await runPrompts(cwd, ["-m", "mock:echo", "--schema", "name, age integer"], {});
    expect(concise.code).toBe(2);
    expect(concise.stderr).toContain(
      'metasync: --schema "name, age integer": unknown type "integer" for field "age" (known: str, int, float, bool)',
    );
    writeFileSync(join(cwd, "s.json"), '{"type":"object","properties":{"a":{"type":"strin"}}}');
    const file = await runPrompts(cwd, ["-m", "mock:echo", "--schema", "s.json"], {});
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/--schema s\.json: not a valid JSON Schema/);
  });

  it("a recipe's schema file is read beside the recipe; CSV on stdout has the field columns", async () => {
    const cwd = promptsDir([{ id: "a", prompt: "name: Ada, age: 36" }]);
    mkdirSync(join(cwd, "mine"));
    writeFileSync(
      join(cwd, "mine", "person.json"),
      JSON.stringify({
        type: "object",
        properties: { name: { type: "string" }, age: { type: "integer" } },
        required: ["name", "age"],
        additionalProperties: false,
      }),
    );
    writeFileSync(join(cwd, "mine", "extract.yaml"), "model: mock:echo\nschema: person.json\n");
    const run = await runCli(
      [
        "run",
        "prompts.jsonl",
        "-r",
        "mine/extract.yaml",
        "--out-format",
        "csv",
        "--state",
        "s.db",
        "--progress",
        "none",
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const [header, row] = run.stdout.trim().split("\n");
    expect(header?.startsWith("id,name,age,output,status,")).toBe(true);
    expect(row?.startsWith('a,Ada,36,"{""name"":""Ada"",""age"":36}",ok,')).toBe(true);
  });
});
