import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ExitCode } from "../../src/core/errors.js";
import { parsePriceFile } from "../../src/cost/price-file.js";
import { builtInPrices, loadPriceTable } from "../../src/cost/price-table.js";

function pricesFile(text: string, name = "prices.yaml"): string {
  const path = join(mkdtempSync(join(tmpdir(), "metasync-prices-")), name);
  writeFileSync(path, text);
  return path;
}

function loadError(path: string): ConfigError {
  try {
    loadPriceTable({ overrides: path });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(ExitCode.usage);
    return error as ConfigError;
  }
  throw new Error("expected the prices file to be rejected");
}

describe("the built-in price table", () => {
  const table = builtInPrices();

  it("says when it was checked and where the prices come from", () => {
    const file = JSON.parse(readFileSync(new URL("../../src/cost/prices.json", import.meta.url), "utf8"));
    expect(table.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(file.sources.openai).toContain("openai.com");
    expect(file.sources.anthropic).toContain("anthropic.com");
    expect(file.about).toMatch(/verify/i);
  });

  it("prices the current OpenAI and Anthropic models", () => {
    for (const model of [
      "openai:gpt-4o",
      "openai:gpt-4o-mini",
      "openai:gpt-4.1",
      "openai:gpt-4.1-mini",
      "openai:gpt-4.1-nano",
      "openai:o1",
      "openai:o3",
      "openai:o3-mini",
      "openai:o4-mini",
      "openai:gpt-5",
      "openai:gpt-5-mini",
      "openai:gpt-5-nano",
      "anthropic:claude-opus-4-1",
      "anthropic:claude-sonnet-4-5",
      "anthropic:claude-sonnet-4",
      "anthropic:claude-haiku-4-5",
      "anthropic:claude-3-5-haiku",
    ]) {
      expect(table.lookup(model)?.key, model).toBe(model);
    }
    expect(table.lookup("openai:gpt-4o-mini")?.price).toEqual({
      input: 0.15,
      cached_input: 0.075,
      output: 0.6,
      batch_discount: 0.5,
      context_window: 128_000,
    });
  });

  it("prices the offline mock at zero, whatever its options", () => {
    expect(table.lookup("mock:echo")).toEqual({
      key: "mock:*",
      price: { input: 0, cached_input: 0, output: 0 },
    });
    expect(table.lookup({ provider: "mock", model: "echo?latency_ms=50&fail_rate=0.1" })?.key).toBe("mock:*");
  });

  it("gives dated snapshots the price of the model they extend", () => {
    expect(table.lookup("openai:gpt-4o-mini-2024-07-18")?.key).toBe("openai:gpt-4o-mini");
    expect(table.lookup("openai:gpt-5-mini-2025-08-07")?.key).toBe("openai:gpt-5-mini");
    expect(table.lookup("openai:gpt-3.5-turbo-0125")?.key).toBe("openai:gpt-3.5-turbo");
    expect(table.lookup("anthropic:claude-haiku-4-5-20251001")?.key).toBe("anthropic:claude-haiku-4-5");
    expect(table.lookup("anthropic:claude-sonnet-4-20250514")?.key).toBe("anthropic:claude-sonnet-4");
  });

  it("prefers a snapshot's own entry, and follows aliases", () => {
    expect(table.lookup("openai:gpt-4o-2024-05-13")?.price.input).toBe(5);
    expect(table.lookup("openai:gpt-4o-2024-08-06")?.price.input).toBe(2.5);
    expect(table.lookup("anthropic:claude-sonnet-4-0")?.key).toBe("anthropic:claude-sonnet-4");
    expect(table.lookup("anthropic:claude-3-5-haiku-latest")?.key).toBe("anthropic:claude-3-5-haiku");
  });

  it("does not guess: other names are unpriced", () => {
    expect(table.lookup("openai:gpt-4o-mini-search")).toBeUndefined();
    expect(table.lookup("openai:gpt-4o-2024")).toBeUndefined();
    expect(table.lookup("openai:my-finetune")).toBeUndefined();
    expect(table.lookup("anthropic:claude-haiku-9")).toBeUndefined();
    expect(table.lookup("gpt-4o")).toBeUndefined();
  });

  it("has aliases that all name an entry", () => {
    for (const [alias, target] of table.aliasEntries()) {
      expect(table.lookup(alias)?.key, alias).toBe(target);
    }
  });
});

describe("--prices overrides", () => {
  it("adds models from YAML and replaces whole entries", () => {
    const table = loadPriceTable({
      overrides: pricesFile(
        [
          "openai:my-model: {input: 1.0, output: 2.0}",
          "openai:gpt-4o-mini:",
          "  input: 0.2",
          "  output: 0.8",
        ].join("\n"),
      ),
    });
    expect(table.lookup("openai:my-model")?.price).toEqual({ input: 1, output: 2 });
    expect(table.lookup("openai:gpt-4o-mini-2024-07-18")?.price).toEqual({ input: 0.2, output: 0.8 });
    expect(table.lookup("openai:gpt-4o")?.price.input).toBe(2.5);
  });

  it("reads JSON, and the long form with aliases and a provider-wide price", () => {
    const table = loadPriceTable({
      overrides: pricesFile(
        JSON.stringify({
          checked: "2026-01-01",
          models: { "openai:*": { input: 0, output: 0, note: "local vLLM" } },
          aliases: { "anthropic:house-model": "anthropic:claude-haiku-4-5" },
        }),
        "prices.json",
      ),
    });
    expect(table.lookup("openai:llama-3-70b")?.key).toBe("openai:*");
    expect(table.lookup("openai:gpt-4o")?.key).toBe("openai:gpt-4o");
    expect(table.lookup("anthropic:house-model")?.price.input).toBe(1);
  });

  it("names the file, line and problem of every bad entry", () => {
    const path = pricesFile(
      [
        "openai:ok-model: {input: 1, output: 2}",
        "openai:cheap: {input: -1, output: 2}",
        "openai:typo: {inptu: 1, output: 2}",
        "openai:half: {input: 1}",
        "gpt-4o: {input: 1, output: 2}",
        "azure:gpt-4o: {input: 1, output: 2}",
        'openai:text: {input: "1.0", output: 2}',
        "openai:batchy: {input: 1, output: 2, batch_discount: 2}",
      ].join("\n"),
    );
    expect(loadError(path).message.split("\n")).toEqual([
      `${path}:2: openai:cheap: "input" must be a non-negative number (USD per million tokens)`,
      `${path}:3: openai:typo: unknown field "inptu" (known: input, cached_input, output, batch_discount, context_window, note)`,
      `${path}:4: openai:half: "output" is missing (USD per million tokens)`,
      `${path}:5: "gpt-4o" is not a provider:model key (e.g. openai:gpt-4o-mini)`,
      `${path}:6: "azure:gpt-4o": unknown provider "azure" (known: mock, openai, anthropic)`,
      `${path}:7: openai:text: "input" must be a non-negative number (USD per million tokens)`,
      `${path}:8: openai:batchy: "batch_discount" must be a fraction between 0 and 1 (0.5 = half price)`,
    ]);
  });

  it("reports malformed YAML and JSON with a line", () => {
    const yaml = pricesFile("openai:a: {input: 1, output: 2}\nopenai:b: {input: 1, output: [\n");
    expect(loadError(yaml).message).toMatch(new RegExp(`^${yaml}:\\d+: malformed YAML/JSON: `));
    const json = pricesFile(
      '{\n  "openai:a": {"input": 1, "output": 2},\n  "openai:a": {"input": 2, "output": 3}\n}',
      "p.json",
    );
    expect(loadError(json).message).toMatch(new RegExp(`^${json}:3: malformed YAML/JSON: .*unique`, "i"));
  });

  it("rejects a file that is not a mapping, and a missing file", () => {
    const list = pricesFile("- openai:gpt-4o\n");
    expect(loadError(list).message).toBe(
      `${list}:1: a prices file is a mapping of provider:model to {input, output, cached_input, batch_discount}`,
    );
    expect(loadError("/no/such/prices.yaml").message).toBe("/no/such/prices.yaml: no such prices file");
  });

  it("accepts an empty file", () => {
    expect(parsePriceFile("", "empty.yaml").models.size).toBe(0);
  });
});
