import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { load, problemsOf, writeConfig, yaml } from "./support.js";

describe("the metasync: block", () => {
  it("takes run's option names in snake_case, kebab-case or camelCase, and eval's own", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "providers: [mock:echo]",
        "metasync:",
        "  tpm: 200000",
        "  rpm: 500",
        "  keys: keys.yaml",
        "  strategy: least-busy",
        "  concurrency: 16",
        "  max_attempts: 3",
        "  timeout: 30",
        "  base-url: http://127.0.0.1:9000/v1",
        "  maxCost: 2.5",
        "  cache: false",
        "  progress: plain",
        "  prices: /etc/prices.yaml",
        "  fallback: [openai:gpt-4o-mini]",
        "  stream: true",
        "  grader: openai:gpt-4o",
        "  pass_rate: 95",
        "  repeat: 3",
      ),
    });
    expect(load(path).metasync).toEqual({
      tpm: 200000,
      rpm: 500,
      keys: join(path, "..", "keys.yaml"),
      strategy: "least-busy",
      concurrency: 16,
      maxAttempts: 3,
      timeout: 30,
      baseUrl: "http://127.0.0.1:9000/v1",
      maxCost: 2.5,
      cache: false,
      progress: "plain",
      prices: "/etc/prices.yaml",
      fallback: ["openai:gpt-4o-mini"],
      stream: true,
      grader: "openai:gpt-4o",
      passRate: 95,
      repeat: 3,
    });
  });

  it("reads evaluateOptions.maxConcurrency and repeat beside it", () => {
    const path = writeConfig({
      "c.yaml": yaml("providers: [mock:echo]", "evaluateOptions:", "  maxConcurrency: 3", "  repeat: 2"),
    });
    expect(load(path)).toMatchObject({ maxConcurrency: 3, repeat: 2, metasync: {} });
  });

  it("reports each wrong type, range and unknown option where it is", () => {
    const path = writeConfig({
      "c.yaml": yaml(
        "providers: [mock:echo]",
        "metasync:",
        "  tpm: lots",
        "  concurrency: 0",
        "  strategy: random",
        "  pass_rate: 120",
        "  dry_run: true",
        "  temperature: 0",
        "evaluateOptions:",
        "  maxConcurrency: 1.5",
        "  delay: 100",
      ),
    });
    const known =
      "tpm, rpm, keys, strategy, concurrency, max_attempts, timeout, base_url, max_cost, cache, progress, prices, fallback, stream, grader, pass_rate, repeat";
    expect(problemsOf(path).map((line) => line.slice(path.length))).toEqual([
      ":3: metasync.tpm must be a number",
      ":4: metasync.concurrency must be above 0",
      ":5: metasync.strategy must be one of round-robin, least-busy, weighted",
      ":6: metasync.pass_rate must be a percentage from 0 to 100",
      `:7: metasync.dry_run is not an option here (known: ${known})`,
      `:8: metasync.temperature is not an option here (known: ${known})`,
      ":10: evaluateOptions.maxConcurrency must be a whole number above 0",
      ":11: evaluateOptions.delay is not supported",
    ]);
  });
});
