import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, readConfigFile } from "../../src/config/yaml-config.js";
import { ConfigError, ExitCode } from "../../src/core/errors.js";

function configFile(text: string, name = "config.yaml"): string {
  const path = join(mkdtempSync(join(tmpdir(), "metasync-config-")), name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError `run` throws. */
function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(ExitCode.usage);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("readConfigFile", () => {
  it("reports a bad value at its own line, with the file's path", () => {
    const path = configFile("name: demo\n\nlimit: lots\n");
    const file = readConfigFile(path, { what: "demo file" });
    const limit = file.root?.get("limit");
    expect(limit?.value.number()).toBeUndefined();
    file.problem(limit?.value, '"limit" must be a number');
    expect(errorOf(() => file.check()).message).toBe(`${path}:3: "limit" must be a number`);
  });

  it("throws every problem together, in the order they were found", () => {
    const path = configFile("a: 1\nb: 2\nc: 3\n");
    const file = readConfigFile(path, { what: "demo file" });
    for (const entry of file.root?.entries ?? []) file.problem(entry, `${entry.key} is wrong`);
    expect(file.problems).toHaveLength(3);
    expect(errorOf(() => file.check()).message.split("\n")).toEqual([
      `${path}:1: a is wrong`,
      `${path}:2: b is wrong`,
      `${path}:3: c is wrong`,
    ]);
  });

  it("reports every syntax error together, each at its line", () => {
    const path = configFile("a: 1\na: 2\nb: [\n");
    const lines = errorOf(() => readConfigFile(path, { what: "demo file" })).message.split("\n");
    expect(lines[0]).toBe(`${path}:2: malformed YAML: Map keys must be unique`);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${path}:\\d+: malformed YAML: `));
  });

  it("names a missing file by its path and what it is", () => {
    const path = join(tmpdir(), "metasync-no-such-config.yaml");
    expect(errorOf(() => readConfigFile(path, { what: "widget file" })).message).toBe(
      `${path}: no such widget file`,
    );
    const dir = mkdtempSync(join(tmpdir(), "metasync-config-"));
    expect(errorOf(() => readConfigFile(dir, { what: "widget file" })).message).toMatch(
      new RegExp(`^${dir}: EISDIR`),
    );
  });

  it("reads JSON, with the line of every value", () => {
    const path = configFile(
      JSON.stringify({ name: "demo", limits: { rpm: 500 }, tags: ["a", "b"] }, null, 2),
      "config.json",
    );
    const root = readConfigFile(path, { what: "demo file" }).root;
    expect(root?.kind).toBe("map");
    expect(root?.entries.map((e) => [e.key, e.line])).toEqual([
      ["name", 2],
      ["limits", 3],
      ["tags", 6],
    ]);
    const rpm = root?.get("limits")?.value.get("rpm");
    expect([rpm?.line, rpm?.value.number()]).toEqual([4, 500]);
    expect(root?.get("tags")?.value.items.map((item) => [item.line, item.string()])).toEqual([
      [7, "a"],
      [8, "b"],
    ]);
  });

  it("says malformed JSON the way the caller names its syntax", () => {
    const path = configFile('{\n  "a": 1,,\n  "b": 2\n}\n', "config.json");
    expect(errorOf(() => readConfigFile(path, { what: "demo file", syntax: "YAML/JSON" })).message).toMatch(
      new RegExp(`^${path}:2: malformed YAML/JSON: `),
    );
  });
});

describe("parseConfig", () => {
  it("gives a document that is not a mapping as a list or scalar, which a loader can refuse", () => {
    const list = parseConfig("\n- a\n- b\n", "list.yaml");
    expect(list.root?.kind).toBe("list");
    expect(list.root?.entries).toEqual([]);
    expect(list.root?.get("a")).toBeUndefined();
    expect(() => list.check()).not.toThrow();
    expect(list.failure(list.root, "expected a mapping").message).toBe("list.yaml:2: expected a mapping");
  });

  it("throws a refused document's problem at its line", () => {
    const file = parseConfig("# comment\n42\n", "scalar.yaml");
    expect(file.root?.kind).toBe("scalar");
    expect(file.failure(file.root, "expected a mapping").message).toBe("scalar.yaml:2: expected a mapping");
  });

  it("has no root for an empty file or one with only comments", () => {
    expect(parseConfig("", "empty.yaml").root).toBeUndefined();
    expect(parseConfig("# nothing yet\n", "empty.yaml").root).toBeUndefined();
    const file = parseConfig("", "empty.yaml");
    expect(file.failure(file.root, "expected keys").message).toBe("empty.yaml: expected keys");
  });

  it("gives a key without a value the key's line", () => {
    const entry = parseConfig("a: 1\nmissing:\n", "c.yaml").root?.get("missing");
    expect(entry?.value.line).toBe(2);
    expect(entry?.value.scalar).toBeNull();
  });

  it("gives each scalar only as the type it is", () => {
    const root = parseConfig("s: text\nn: 1.5\ni: 3\nb: true\nnan: .nan\nq: '3'\n", "c.yaml").root;
    const value = (key: string) => root?.get(key)?.value;
    expect([value("s")?.string(), value("s")?.number()]).toEqual(["text", undefined]);
    expect([value("n")?.number(), value("n")?.integer()]).toEqual([1.5, undefined]);
    expect([value("i")?.integer(), value("i")?.number()]).toEqual([3, 3]);
    expect([value("b")?.boolean(), value("b")?.string()]).toEqual([true, undefined]);
    expect(value("nan")?.number()).toBeUndefined();
    expect([value("q")?.string(), value("q")?.integer()]).toEqual(["3", undefined]);
  });

  it("reports unknown keys at their lines, named the way the caller asks", () => {
    const file = parseConfig("known: 1\ntypo: 2\nother: 3\n", "c.yaml");
    const entries = file.root?.entries ?? [];
    const kept = entries.filter((entry) => file.knownKey(entry, { allowed: new Set(["known", "other"]) }));
    expect(kept.map((entry) => entry.key)).toEqual(["known", "other"]);
    const [, typo] = entries;
    if (typo === undefined) throw new Error("expected a second entry");
    file.knownKey(typo, { allowed: (key) => key === "known", noun: "field" });
    file.knownKey(typo, { allowed: new Set(["known", "other"]), noun: "field", listed: true }, "entry");
    expect(file.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '2: unknown key "typo"',
      '2: unknown field "typo"',
      '2: entry: unknown field "typo" (known: known, other)',
    ]);
  });
});
