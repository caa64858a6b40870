import { readFileSync } from "node:fs";
import { join } from "node:path";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { type MockServer, type MockStats, startMockServer } from "../../src/mock-server/index.js";
import { ROOT } from "./cli.js";

/** What the cost tests need from a price entry: USD per million tokens. */
export interface Price {
  input: number;
  output: number;
}

/** An entry of the shipped price table (src/cost/prices.json), read here, not through the code under test. */
export function listPrice(model: string): Price {
  const table = JSON.parse(readFileSync(join(ROOT, "src", "cost", "prices.json"), "utf8")) as {
    models: Record<string, Price>;
  };
  const price = table.models[model];
  if (!price) throw new Error(`prices.json has no entry ${model}`);
  return price;
}

/** The cost of what the mock server metered, summed over its keys, at `price`. */
export function meteredCost(stats: MockStats, price: Price): number {
  let cost = 0;
  for (const key of Object.values(stats.by_key)) {
    cost += (key.input_tokens * price.input + key.output_tokens * price.output) / 1e6;
  }
  return cost;
}

/** Input and output tokens the mock server metered, over every key. */
export function meteredUsage(stats: MockStats): { input_tokens: number; output_tokens: number } {
  const keys = Object.values(stats.by_key);
  return {
    input_tokens: keys.reduce((sum, key) => sum + key.input_tokens, 0),
    output_tokens: keys.reduce((sum, key) => sum + key.output_tokens, 0),
  };
}

/**
 * Prompt tokens of a one-user-message chat request as OpenAI counts them (o200k_base, with the
 * cookbook's framing: 3 per message, 3 to prime the reply).
 */
export function chatPromptTokens(text: string): number {
  return 3 + 3 + countTokens("user") + countTokens(text);
}

/** A mock server on an ephemeral port, and the environment that points the binary at it. */
export async function mockServer(
  options: Parameters<typeof startMockServer>[0] = {},
): Promise<{ server: MockServer; env: Record<string, string> }> {
  const server = await startMockServer(options);
  return { server, env: { OPENAI_API_KEY: "sk-cost-test", OPENAI_BASE_URL: `${server.url}/v1` } };
}

/** The amounts a text shows as `$1.23`, in order. */
export function dollars(text: string): number[] {
  return [...text.matchAll(/\$(\d+(?:\.\d+)?(?:e-?\d+)?)/g)].map((match) => Number(match[1]));
}

/** Whether `shown` is `actual` as a report would round it (to two significant digits or better). */
export function roundsTo(shown: number, actual: number): boolean {
  return shown > 0 && Math.abs(shown - actual) <= actual * 0.02;
}
