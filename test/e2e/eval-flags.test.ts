import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const CONFIG = [
  "prompts: ['{{ greeting }} {{ name }}']",
  "providers: [openai:chat:gpt-4o-mini]",
  "defaultTest: {vars: {greeting: Hello}}",
  "tests:",
  "  - description: ada",
  "    vars: {name: Ada}",
  "    assert: [{type: contains, value: Ada}]",
  "  - description: bob",
  "    vars: {name: Bob}",
  "    assert: [{type: contains, value: Robert}]",
  "  - description: cy",
  "    vars: {name: Cy}",
  "    assert: [{type: icontains, value: hello}]",
].join("\n");

function rows(cwd: string, file = "rows.jsonl"): Record<string, unknown>[] {
  return jsonLines(readFileSync(join(cwd, file), "utf8"));
}

describe("metasync eval flags", () => {
  it("--filter-failing runs only the rows that failed in an earlier eval", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    const env = providerEnv("openai", server, "sk-eval");
    const common = ["eval", "--state", "st.db", "--progress", "none"];
    const first = await runCli([...common, "-o", "all.jsonl"], { cwd, env });
    expect(first.code, first.stderr).toBe(100);
    expect(rows(cwd, "all.jsonl").map((r) => r.status)).toEqual(["pass", "fail", "pass"]);
    const evalId = /eval (eval-\w+):/.exec(first.stderr)?.[1];
    expect(evalId, first.stderr).toBeDefined();

    const failing = await runCli([...common, "--filter-failing", String(evalId), "-o", "failing.jsonl"], {
      cwd,
      env,
    });
    expect(failing.code, failing.stderr).toBe(100);
    expect(rows(cwd, "failing.jsonl").map((r) => r.description)).toEqual(["bob"]);
  });

  it("-m replaces the providers, --var adds a var, --filter-first-n and --filter-pattern choose tests", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    const result = await runCli(
      [
        "eval",
        "--state",
        "st.db",
        "--progress",
        "none",
        "-m",
        "mock:echo",
        "--var",
        "greeting=Bonjour",
        // promptfoo's order: the pattern first, then the first n of what it kept.
        "--filter-first-n",
        "1",
        "--filter-pattern",
        "^(ada|cy)$",
        "-o",
        "rows.jsonl",
      ],
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
    const written = rows(cwd);
    expect(written.map((r) => [r.description, r.provider, r.output])).toEqual([
      ["ada", "mock:echo", "Bonjour Ada"],
    ]);
  });

  it("--repeat sends real samples: each repeat its own request and cache key", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    const env = providerEnv("openai", server, "sk-eval");
    const args = ["eval", "--state", "st.db", "--progress", "none", "--repeat", "2", "--filter-first-n", "1"];
    const first = await runCli([...args, "-o", "rows.jsonl"], { cwd, env });
    expect(first.code, first.stderr).toBe(0);
    expect(rows(cwd).map((r) => r.repeat)).toEqual([0, 1]);
    expect(server.stats().requests).toBe(2);
    // A new eval of the same rows: both samples come from the response cache, none is sent again.
    const fresh = await runCli([...args, "--fresh", "-o", "again.jsonl"], { cwd, env });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(rows(cwd, "again.jsonl").map((r) => r.cached)).toEqual([true, true]);
    expect(server.stats().requests).toBe(2);
  });
});
