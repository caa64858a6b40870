import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { globFiles } from "../../../src/eval/config/glob.js";
import { defaultConfigPath } from "../../../src/eval/config/load-config.js";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

describe("defaultConfigPath", () => {
  it("prefers metasync.eval.yaml, then promptfooconfig.yaml", () => {
    const dir = mkdtempSync(join(tmpdir(), "metasync-eval-default-"));
    expect(() => defaultConfigPath(dir)).toThrow(ConfigError);
    expect(() => defaultConfigPath(dir)).toThrow(
      `no eval config in ${dir}: looked for metasync.eval.yaml and promptfooconfig.yaml; pass the config's path`,
    );
    writeFileSync(join(dir, "promptfooconfig.yaml"), "providers: [mock:echo]\n");
    expect(defaultConfigPath(dir)).toBe(join(dir, "promptfooconfig.yaml"));
    writeFileSync(join(dir, "metasync.eval.yaml"), "providers: [mock:echo]\n");
    expect(defaultConfigPath(dir)).toBe(join(dir, "metasync.eval.yaml"));
  });
});

describe("loadEvalConfig", () => {
  it("returns the config's path as given, its directory absolute, and its description", () => {
    const path = writeConfig({ "c.yaml": yaml("description: smoke", "providers: [mock:echo]") });
    expect(load(path)).toMatchObject({ path, baseDir: join(path, ".."), description: "smoke" });
  });

  it("reads a relative config path from the working directory it is given, not the process's", () => {
    const path = writeConfig({
      "sub/c.yaml": yaml("prompts: [file://p.txt]", "providers: [mock:echo]"),
      "sub/p.txt": "Hi",
    });
    const cwd = join(path, "..", "..");
    const config = load("sub/c.yaml", { cwd });
    expect(config).toMatchObject({ path: "sub/c.yaml", baseDir: join(cwd, "sub") });
    expect(config.prompts[0]?.label).toBe("sub/p.txt: Hi");
  });

  it("reports a missing, an empty and a non-mapping config", () => {
    const missing = join(tmpdir(), "metasync-no-such-eval.yaml");
    expect(problemsOf(missing)).toEqual([`${missing}: no such eval config`]);
    const empty = writeConfig({ "c.yaml": "# nothing\n" });
    expect(problemsOf(empty)).toEqual([`${empty}: the config is empty`]);
    const list = writeConfig({ "c.yaml": "- a\n- b\n" });
    expect(problemsOf(list)).toEqual([`${list}:1: a config is a mapping (prompts, providers, tests, …)`]);
  });
});

describe("globFiles", () => {
  it("matches *, ?, [..], ** and {a,b}, skips dotfiles unless named, and sorts", () => {
    const path = writeConfig({
      "a.csv": "",
      "b.csv": "",
      "c.yaml": "",
      ".hidden.csv": "",
      "deep/x/y.csv": "",
      "deep/z.json": "",
    });
    const dir = join(path, "..");
    const names = (pattern: string) =>
      globFiles(join(dir, pattern)).map((file) => file.slice(dir.length + 1));
    expect(names("*.csv")).toEqual(["a.csv", "b.csv"]);
    expect(names("?.{csv,yaml}")).toEqual(["a.csv", "b.csv", "c.yaml"]);
    expect(names("[ab].csv")).toEqual(["a.csv", "b.csv"]);
    expect(names("**/*.csv")).toEqual(["a.csv", "b.csv", "deep/x/y.csv"]);
    expect(names(".*.csv")).toEqual([".hidden.csv"]);
    expect(names("none/*.csv")).toEqual([]);
  });
});
