import { createHash } from "node:crypto";
import { ConfigError, type InputProblem } from "../core/errors.js";
import type { Item } from "../core/types.js";
import type { EvalConfig, EvalPrompt, EvalProvider, EvalTest } from "./config/types.js";
import { RenderError, renderPrompt } from "./render.js";

/** Which rows to run, as promptfoo's `--filter-*` flags choose them. */
export interface RowFilters {
  /** `--filter-pattern`: tests whose description matches. */
  pattern?: RegExp | undefined;
  /** `--filter-first-n`: the first n tests. */
  firstN?: number | undefined;
  /** `--filter-prompts`: prompts whose label or id matches. */
  prompts?: RegExp | undefined;
  /** `--filter-providers`: providers whose label or id matches. */
  providers?: RegExp | undefined;
  /** `--filter-failing`: only tests with a row that failed or errored in that eval (by `rowKey`). */
  failing?: ReadonlySet<string> | undefined;
}

/** One row to run: a test, a prompt, a provider and a repeat. */
export interface PlannedRow {
  test: EvalTest;
  prompt: EvalPrompt;
  provider: EvalProvider;
  repeat: number;
}

/**
 * A row's identity across evals (what `compare` and `--filter-failing` pair rows by): the test's
 * vars and assertions, the prompt's label or id (not its text, so an edited prompt pairs with its
 * earlier version), the provider and the repeat.
 */
export function rowKey(row: PlannedRow): string {
  return `${testKey(row.test)}|${row.prompt.label}|${row.provider.label}|${row.repeat}`;
}

/** A test's identity across evals: its description, vars and assertions. */
function testKey(test: EvalTest): string {
  const identity = JSON.stringify([test.description ?? null, test.vars, test.assert]);
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}

/**
 * The rows of an eval, in order: each test, then each prompt, then each provider, then each repeat.
 * Tests are chosen as promptfoo's `filterTests` does: those that failed first, then the pattern,
 * then the first n of what is left.
 */
export function planRows(config: EvalConfig, repeat: number, filters: RowFilters = {}): PlannedRow[] {
  const failingTests =
    filters.failing === undefined ? undefined : new Set([...filters.failing].map((key) => key.split("|")[0]));
  let tests = config.tests.filter(
    (test) =>
      (failingTests === undefined || failingTests.has(testKey(test))) &&
      (filters.pattern === undefined || filters.pattern.test(test.description ?? "")),
  );
  if (filters.firstN !== undefined) tests = tests.slice(0, filters.firstN);
  const prompts = config.prompts.filter(
    (p) => filters.prompts === undefined || filters.prompts.test(p.label) || filters.prompts.test(p.id),
  );
  const providers = config.providers.filter(
    (p) => filters.providers === undefined || filters.providers.test(p.label) || filters.providers.test(p.id),
  );
  const rows: PlannedRow[] = [];
  for (const test of tests) {
    for (const prompt of prompts) {
      for (const provider of providers) {
        for (let r = 0; r < repeat; r++) {
          rows.push({ test, prompt, provider, repeat: r });
        }
      }
    }
  }
  return rows;
}

/**
 * The rows as items of the engine: each prompt rendered with its test's vars (a template that does
 * not render is a config problem, reported with the others before anything is sent), and a
 * fingerprint of everything that shapes the eval, so that a changed config starts a new eval.
 */
export function rowItems(
  config: EvalConfig,
  rows: readonly PlannedRow[],
  env: Readonly<Record<string, string | undefined>>,
): { items: Item[]; fingerprint: string } {
  const hash = createHash("sha256");
  const problems: InputProblem[] = [];
  const items: Item[] = [];
  const promptIndex = new Map(config.prompts.map((p, i) => [p, i]));
  const providerIndex = new Map(config.providers.map((p, i) => [p, i]));
  for (const [index, row] of rows.entries()) {
    const { test, prompt, provider, repeat } = row;
    let messages: Item["request"]["messages"] = [];
    try {
      messages = renderPrompt(prompt, test.vars, { env });
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      if (problems.length < 20) {
        problems.push({
          file: config.path,
          message: `test ${test.index}${test.description ? ` ("${test.description}")` : ""}, prompt ${prompt.label}: ${error.message}`,
        });
      }
      continue;
    }
    const request = {
      model: provider.model,
      messages,
      params: provider.params,
      ...(repeat > 0 ? { sample: repeat } : {}),
    };
    const id = `${test.index}:${promptIndex.get(prompt)}:${providerIndex.get(provider)}:${repeat}`;
    items.push({ index, id, line: index + 1, request });
    hash.update(JSON.stringify([request, test.assert, test.threshold ?? null, rowKey(row)]));
    hash.update("\n");
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${p.file}: ${p.message}`).join("\n"));
  return { items, fingerprint: hash.digest("hex") };
}
