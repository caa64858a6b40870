import * as crypto from "node:crypto";
import type { ChatMessage, Item } from "../core/types.js";
import type { AssertionSpec, EvalConfig, EvalPrompt, EvalProvider, EvalTest } from "./config/types.js";
import type { ListByIndex } from "./packed-list.js";
import { RenderError, renderPrompt } from "./render.js";

type Env = Readonly<Record<string, string | undefined>>;

/** An eval's tests by position: an array, or packed off the heap (`PackedList`). */
export type TestList = ListByIndex<EvalTest>;

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
  return new RowKeys().key(row);
}

/**
 * `rowKey` for many rows: a test's part is hashed once for all its rows (its prompts, providers and
 * repeats follow one another), and an assertion list many tests share is serialized once.
 */
export class RowKeys {
  private test: EvalTest | undefined;
  private hash = "";
  private readonly lists = new Map<AssertionSpec[], string>();

  key(row: PlannedRow): string {
    if (row.test !== this.test) {
      this.test = row.test;
      this.hash = this.testKey(row.test);
    }
    return `${this.hash}|${row.prompt.label}|${row.provider.label}|${row.repeat}`;
  }

  /**
   * A test's identity across evals, the first part of its rows' keys: sha256 of
   * `JSON.stringify([description ?? null, vars, assert])`, its first 16 hex digits.
   */
  testKey(test: EvalTest): string {
    let assert = this.lists.get(test.assert);
    if (assert === undefined) {
      assert = JSON.stringify(test.assert);
      if (this.lists.size >= MAX_LISTS) this.lists.clear();
      this.lists.set(test.assert, assert);
    }
    const text = `[${JSON.stringify(test.description ?? null)},${JSON.stringify(test.vars)},${assert}]`;
    return sha256Hex(text).slice(0, 16);
  }
}

/** Assertion lists whose JSON is kept (tests often share one). */
const MAX_LISTS = 1_000;

/** sha256 in hex, with `crypto.hash` where Node has it (20.12+): one call, no Hash object. */
function sha256Hex(text: string): string {
  return typeof crypto.hash === "function"
    ? crypto.hash("sha256", text, "hex")
    : crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * The rows of an eval, in order: each test, then each prompt, then each provider, then each
 * repeat. Held as the lists they combine (a row is made when asked for), so 100,000 rows cost no
 * more memory than their tests.
 */
export class RowPlan {
  private readonly perTest: number;

  constructor(
    readonly tests: TestList,
    readonly prompts: readonly EvalPrompt[],
    readonly providers: readonly EvalProvider[],
    readonly repeat: number,
  ) {
    this.perTest = prompts.length * providers.length * repeat;
  }

  get size(): number {
    return this.tests.length * this.perTest;
  }

  /** The row at `index` (0-based, the item index in the store), or undefined past the end. */
  row(index: number): PlannedRow | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    const repeat = index % this.repeat;
    let rest = (index - repeat) / this.repeat;
    const provider = rest % this.providers.length;
    rest = (rest - provider) / this.providers.length;
    const prompt = rest % this.prompts.length;
    const test = (rest - prompt) / this.prompts.length;
    return {
      test: this.tests.at(test) as EvalTest,
      prompt: this.prompts[prompt] as EvalPrompt,
      provider: this.providers[provider] as EvalProvider,
      repeat,
    };
  }

  *[Symbol.iterator](): Generator<PlannedRow> {
    for (let index = 0; index < this.size; index++) yield this.row(index) as PlannedRow;
  }
}

/**
 * The rows of an eval, as the filters choose them. Tests are chosen as promptfoo's `filterTests`
 * does: those that failed first, then the pattern, then the first n of what is left.
 */
export function planRows(
  config: Pick<EvalConfig, "prompts" | "providers"> & { tests: TestList },
  repeat: number,
  filters: RowFilters = {},
): RowPlan {
  const failingTests =
    filters.failing === undefined ? undefined : new Set([...filters.failing].map((key) => key.split("|")[0]));
  const keys = new RowKeys();
  const all = config.tests;
  let tests: TestList = all;
  if (failingTests !== undefined || filters.pattern !== undefined || filters.firstN !== undefined) {
    const { firstN, pattern } = filters;
    let chosen: number[] = [];
    for (let index = 0; index < all.length; index++) {
      if (firstN !== undefined && firstN >= 0 && chosen.length >= firstN) break;
      const test = all.at(index) as EvalTest;
      if (failingTests !== undefined && !failingTests.has(keys.testKey(test))) continue;
      if (pattern !== undefined && !pattern.test(test.description ?? "")) continue;
      chosen.push(index);
    }
    if (firstN !== undefined) chosen = chosen.slice(0, firstN);
    tests = { length: chosen.length, at: (index) => all.at(chosen[index] ?? -1) };
  }
  const prompts = config.prompts.filter(
    (p) => filters.prompts === undefined || filters.prompts.test(p.label) || filters.prompts.test(p.id),
  );
  const providers = config.providers.filter(
    (p) => filters.providers === undefined || filters.providers.test(p.label) || filters.providers.test(p.id),
  );
  return new RowPlan(tests, prompts, providers, repeat);
}

/** Render problems kept for the message: the first 20. */
const MAX_PROBLEMS = 20;

/**
 * The rows as items of the engine, made one at a time as the store ingests them: each prompt
 * rendered with its test's vars. A template that does not render is a config problem: the row is
 * left out and the problem added to `problems` (the first 20), to be reported together, as one
 * ConfigError, before anything is sent.
 */
export function* rowItems(config: EvalConfig, plan: RowPlan, env: Env, problems: string[]): Generator<Item> {
  const promptIndex = new Map(config.prompts.map((p, i) => [p, i]));
  const providerIndex = new Map(config.providers.map((p, i) => [p, i]));
  const options = { env };
  // A test's prompt renders once for all its providers and repeats (they follow one another).
  let rendered: { test: EvalTest; prompt: EvalPrompt; messages: ChatMessage[] | RenderError } | undefined;
  for (let index = 0; index < plan.size; index++) {
    const { test, prompt, provider, repeat } = plan.row(index) as PlannedRow;
    if (rendered?.test !== test || rendered.prompt !== prompt) {
      let messages: ChatMessage[] | RenderError;
      try {
        messages = renderPrompt(prompt, test.vars, options);
      } catch (error) {
        if (!(error instanceof RenderError)) throw error;
        messages = error;
      }
      rendered = { test, prompt, messages };
    }
    if (rendered.messages instanceof RenderError) {
      if (problems.length < MAX_PROBLEMS) {
        problems.push(
          `${config.path}: test ${test.index}${test.description ? ` ("${test.description}")` : ""}, prompt ${prompt.label}: ${rendered.messages.message}`,
        );
      }
      continue;
    }
    const request = {
      model: provider.model,
      messages: rendered.messages,
      params: provider.params,
      ...(repeat > 0 ? { sample: repeat } : {}),
    };
    const id = `${test.index}:${promptIndex.get(prompt)}:${providerIndex.get(provider)}:${repeat}`;
    yield { index, id, line: index + 1, request };
  }
}
