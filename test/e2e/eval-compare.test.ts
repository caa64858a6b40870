import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

/** Eight tests; the prompt (labelled "route", whatever its text) echoes `{{ text }}` plus `suffix`. */
function config(cwd: string, template: string): void {
  const tests = Array.from(
    { length: 8 },
    (_, i) =>
      `  - description: case ${i}\n    vars: { text: "item ${i}" }\n    assert:\n      - type: equals\n        value: "item ${i}"`,
  ).join("\n");
  writeFileSync(
    join(cwd, "promptfooconfig.yaml"),
    `prompts:\n  - label: route\n    raw: "${template}"\nproviders: [mock:echo]\ntests:\n${tests}\n`,
  );
}

async function evalAs(cwd: string, name: string, template: string) {
  config(cwd, template);
  return runCli(["eval", "--state", "st.db", "--progress", "none", "--run", name, "--pass-rate", "0"], {
    cwd,
  });
}

describe("metasync eval compare", () => {
  it("pairs the rows of two stored evals by prompt label, lists the flips, and fails on a significant regression", async () => {
    const cwd = workDir();
    expect((await evalAs(cwd, "before", "{{ text }}")).code).toBe(0);
    // The edited prompt breaks every row: 8 of 8 lost, p = 2·(½)^8.
    expect((await evalAs(cwd, "after", "{{ text }}!")).code).toBe(0);
    // One row only differs in a third eval: a change, not a significant one.
    expect(
      (await evalAs(cwd, "tweak", "{% if text == 'item 3' %}{{ text }}?{% else %}{{ text }}{% endif %}"))
        .code,
    ).toBe(0);

    const args = ["eval", "compare", "--state", "st.db"];
    const worse = await runCli([...args, "before", "after", "--fail-on-regression"], { cwd });
    expect(worse.code, worse.stderr).toBe(100);
    expect(worse.stdout).toMatch(/route\s+mock:echo\s+8\s+100%\s+0%\s+-100 pts\s+8\s+0\s+0\.008 \*/);
    expect(worse.stdout).toContain("flipped rows (8):\n  case 0 · route · mock:echo: pass → fail");
    expect(worse.stdout).toContain("significant regression: route × mock:echo 100% → 0% (p = 0.008)");
    // Without the flag the comparison is only reported.
    expect((await runCli([...args, "before", "after"], { cwd })).code).toBe(0);

    const slight = await runCli([...args, "before", "tweak", "--fail-on-regression", "--json"], { cwd });
    expect(slight.code, slight.stderr).toBe(0);
    const json = JSON.parse(slight.stdout);
    expect(json.cells).toEqual([
      {
        prompt: "route",
        provider: "mock:echo",
        paired: 8,
        pass_rate_before: 1,
        pass_rate_after: 7 / 8,
        change: 7 / 8 - 1,
        regressions: 1,
        improvements: 0,
        p_value: 1,
        significant_regression: false,
      },
    ]);
    expect(json.flips).toEqual([
      { test: "case 3", prompt: "route", provider: "mock:echo", repeat: 0, from: "pass", to: "fail" },
    ]);
    expect(json.regressed).toBe(false);

    const missing = await runCli([...args, "before", "nope"], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no eval "nope" in the state database/);
  });
});
