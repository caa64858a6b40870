import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { type KeySpec, keysFromEnv, loadKeyFile } from "../../src/keys/load-keys.js";

function keyFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "metasync-keys-")), name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError loading `path` throws. */
function loadError(path: string, env: Record<string, string> = {}): ConfigError {
  try {
    loadKeyFile(path, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`${path} loaded without an error`);
}

describe("loadKeyFile", () => {
  it("reads a YAML pool file with every field, taking env:NAME keys from the environment", () => {
    const path = keyFile(
      "pool.yaml",
      [
        "keys:",
        "  - provider: openai",
        "    key: env:TEAM_A_KEY      # from the environment",
        "    scope: team-a",
        "    tpm: 2000000",
        "    rpm: 5000",
        "    weight: 2",
        "    base_url: http://127.0.0.1:9/v1",
        "  - provider: anthropic",
        "    key: sk-ant-literal",
        "    itpm: 40000",
        "    otpm: 8000",
        "",
      ].join("\n"),
    );
    expect(loadKeyFile(path, { TEAM_A_KEY: "sk-team-a" })).toEqual<KeySpec[]>([
      {
        provider: "openai",
        value: "sk-team-a",
        scope: "team-a",
        limits: { tokens: 2_000_000, requests: 5_000 },
        weight: 2,
        baseUrl: "http://127.0.0.1:9/v1",
      },
      {
        provider: "anthropic",
        value: "sk-ant-literal",
        scope: undefined,
        limits: { inputTokens: 40_000, outputTokens: 8_000 },
        weight: 1,
        baseUrl: undefined,
      },
    ]);
  });

  it("reads the same pool from JSON", () => {
    const path = keyFile(
      "pool.json",
      JSON.stringify(
        {
          keys: [
            { provider: "openai", key: "env:K1", scope: "shared", rpm: 500, weight: 3 },
            { provider: "openai", key: "sk-two", scope: "shared" },
          ],
        },
        null,
        2,
      ),
    );
    const specs = loadKeyFile(path, { K1: "sk-one" });
    expect(specs.map((s) => [s.value, s.scope, s.weight, s.limits])).toEqual([
      ["sk-one", "shared", 3, { requests: 500 }],
      ["sk-two", "shared", 1, {}],
    ]);
  });

  it("names the file and line of an unknown field", () => {
    const path = keyFile(
      "pool.yaml",
      ["keys:", "  - provider: openai", "    key: sk-1", "    rpn: 500", ""].join("\n"),
    );
    expect(loadError(path).message).toBe(`${path}:4: unknown field "rpn"`);
  });

  it("names the file and line of a field with the wrong type", () => {
    const path = keyFile(
      "pool.yaml",
      [
        "keys:",
        "  - provider: openai",
        "    key: sk-1",
        "  - provider: openai",
        "    key: sk-2",
        '    rpm: "fast"',
        "    weight: -1",
        "",
      ].join("\n"),
    );
    const { message } = loadError(path);
    expect(message.split("\n")).toEqual([
      `${path}:6: rpm must be a positive number`,
      `${path}:7: weight must be a positive number`,
    ]);
  });

  it("names the file and line of a key whose environment variable is not set, without any key", () => {
    const path = keyFile(
      "pool.yaml",
      [
        "keys:",
        "  - provider: openai",
        "    key: env:PRESENT",
        "  - provider: openai",
        "    key: env:MISSING_KEY",
        "",
      ].join("\n"),
    );
    const { message } = loadError(path, { PRESENT: "sk-present-secret" });
    expect(message).toBe(`${path}:5: environment variable MISSING_KEY is not set`);
    expect(message).not.toContain("sk-present-secret");
  });

  it("reports every problem in the file together", () => {
    const path = keyFile(
      "pool.yaml",
      [
        "keys:",
        "  - provider: openai",
        "    key: sk-1",
        "    colour: blue",
        "  - provider: gemini",
        "    key: sk-2",
        "  - provider: openai",
        "",
      ].join("\n"),
    );
    const lines = loadError(path).message.split("\n");
    expect(lines).toEqual([
      `${path}:4: unknown field "colour"`,
      expect.stringMatching(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5: provider must be one of .*"gemini"`),
      ),
      `${path}:7: key is missing (the key itself, or env:NAME)`,
    ]);
  });

  it("points at malformed JSON and YAML", () => {
    const json = keyFile("pool.json", '{\n  "keys": [\n    {"provider": "openai",, "key": "k"}\n  ]\n}\n');
    expect(loadError(json).message).toMatch(new RegExp(`^${json.replace(/[.]/g, "\\.")}:3: malformed YAML`));
    const yaml = keyFile("pool.yaml", "keys:\n  - provider: openai\n    key: [unclosed\n");
    expect(loadError(yaml).message).toMatch(/pool\.yaml:\d+: malformed YAML/);
    // One line per syntax error, without problems found in what the parser made of the rest.
    expect(loadError(yaml).message).not.toMatch(/\n|:$/);
  });

  it("wants a keys list, and says so for a missing file", () => {
    const path = keyFile("pool.yaml", "- provider: openai\n  key: sk-1\n");
    expect(loadError(path).message).toBe(`${path}:1: expected "keys:" with a list of keys`);
    expect(loadError(join(tmpdir(), "metasync-no-such-pool.yaml")).message).toMatch(
      /metasync-no-such-pool\.yaml: no such key pool file/,
    );
  });
});

describe("keysFromEnv", () => {
  it("takes the comma-separated list first, else the single key", () => {
    expect(keysFromEnv("openai", { OPENAI_API_KEYS: " k1, k2 ,,k3 ", OPENAI_API_KEY: "single" })).toEqual([
      "k1",
      "k2",
      "k3",
    ]);
    expect(keysFromEnv("openai", { OPENAI_API_KEY: "single" })).toEqual(["single"]);
    expect(keysFromEnv("anthropic", { ANTHROPIC_API_KEYS: "a1,a2" })).toEqual(["a1", "a2"]);
    expect(keysFromEnv("openai", {})).toEqual([]);
    expect(keysFromEnv("mock", { OPENAI_API_KEY: "x" })).toEqual([]);
  });
});
