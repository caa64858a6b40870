import type { RawTest } from "./test-case.js";
import type { AssertionSpec, EvalTest } from "./types.js";

export interface ExpandOptions {
  /** `--var k=v`: added to every test's vars, over the test's own. */
  vars?: Readonly<Record<string, string>>;
  /** `PROMPTFOO_DISABLE_VAR_EXPANSION` is set. */
  disableVarExpansion?: boolean;
}

/**
 * Tests as promptfoo's evaluator runs them, made one at a time from the tests as read. `defaultTest`
 * is merged into each test first (`prepareTestCaseForEval` in its evaluator.ts): vars
 * `{...default, ...test}`, assertions default first then the test's (none of the default's with
 * `options.disableDefaultAsserts`), threshold the test's else the default's, options and metadata
 * shallow-merged, the test's keys winning. Then each var whose value is a list whose first item is a
 * string makes one test per item, the cartesian product in key order (`generateVarCombinations`);
 * other lists stay whole. No tests at all is one empty test, as in promptfoo. Indexes count the
 * expanded tests in order.
 */
export class TestExpander {
  private readonly lists: SharedLists;
  private read = 0;
  private made = 0;

  constructor(
    private readonly defaultTest: RawTest | undefined,
    private readonly options: ExpandOptions,
    private readonly emit: (test: EvalTest) => void,
  ) {
    this.lists = new SharedLists(defaultTest?.assert ?? []);
  }

  add(test: RawTest): void {
    this.read++;
    const merged = mergeDefault(test, this.defaultTest, this.options.vars, this.lists);
    const combinations =
      this.options.disableVarExpansion || merged.disableVarExpansion
        ? [merged.vars]
        : varCombinations(merged.vars);
    for (const vars of combinations) {
      const { description, assert, ...rest } = merged.test;
      this.emit({
        index: this.made++,
        ...(description === undefined ? {} : { description }),
        vars,
        assert,
        ...rest,
      });
    }
  }

  /** After the last test: with none at all, the one empty test. */
  finish(): void {
    if (this.read === 0) this.add({});
  }
}

/** Lists kept: tests read in chunks share lists within a chunk. */
const MAX_LISTS = 1_000;

/**
 * A test's assertions after `defaultTest`'s: one list for every test whose own list is the same
 * array (CSV rows with the same `__expected` cells share theirs), not one copy per test.
 */
class SharedLists {
  private readonly withDefaults = new Map<AssertionSpec[] | undefined, AssertionSpec[]>();
  private readonly withoutDefaults = new Map<AssertionSpec[] | undefined, AssertionSpec[]>();

  constructor(private readonly defaults: readonly AssertionSpec[]) {}

  merged(own: AssertionSpec[] | undefined, useDefaults: boolean): AssertionSpec[] {
    const lists = useDefaults ? this.withDefaults : this.withoutDefaults;
    let list = lists.get(own);
    if (!list) {
      list = [...(useDefaults ? this.defaults : []), ...(own ?? [])];
      if (lists.size >= MAX_LISTS) lists.clear();
      lists.set(own, list);
    }
    return list;
  }
}

function mergeDefault(
  test: RawTest,
  defaults: RawTest | undefined,
  flagVars: Readonly<Record<string, string>> | undefined,
  lists: SharedLists,
): { test: Omit<EvalTest, "index" | "vars">; vars: Record<string, unknown>; disableVarExpansion: boolean } {
  const options =
    test.options === undefined || Object.keys(test.options).length === 0
      ? (defaults?.options ?? {})
      : { ...defaults?.options, ...test.options };
  const merged: Omit<EvalTest, "index" | "vars"> = {
    assert: lists.merged(test.assert, options.disableDefaultAsserts !== true),
  };
  if (test.description !== undefined) merged.description = test.description;
  const threshold = test.threshold ?? defaults?.threshold;
  if (threshold !== undefined) merged.threshold = threshold;
  if (defaults?.metadata !== undefined || test.metadata !== undefined) {
    merged.metadata = { ...defaults?.metadata, ...test.metadata };
  }
  const graderOptions: EvalTest["options"] = {};
  if (options.provider !== undefined) graderOptions.provider = options.provider;
  if (options.rubricPrompt !== undefined) graderOptions.rubricPrompt = options.rubricPrompt;
  if (Object.keys(graderOptions).length > 0) merged.options = graderOptions;
  return {
    test: merged,
    vars: ownVars(test.vars, defaults?.vars, flagVars),
    disableVarExpansion: options.disableVarExpansion === true,
  };
}

/** `{...defaults, ...own, ...flags}`: the test's own object when the others add nothing (it is not shared). */
function ownVars(
  own: Record<string, unknown> | undefined,
  defaults: Record<string, unknown> | undefined,
  flags: Readonly<Record<string, string>> | undefined,
): Record<string, unknown> {
  const empty = (vars: object | undefined) => vars === undefined || Object.keys(vars).length === 0;
  if (own !== undefined && empty(defaults) && empty(flags)) return own;
  return { ...defaults, ...own, ...flags };
}

/** promptfoo's `generateVarCombinations`: lists of strings expand (the first item decides). */
export function varCombinations(vars: Readonly<Record<string, unknown>>): Record<string, unknown>[] {
  if (!Object.values(vars).some((value) => Array.isArray(value) && typeof value[0] === "string")) {
    return [vars as Record<string, unknown>];
  }
  let combinations: Record<string, unknown>[] = [{}];
  for (const [key, value] of Object.entries(vars)) {
    const values = Array.isArray(value) && typeof value[0] === "string" ? value : [value];
    combinations = combinations.flatMap((combination) =>
      values.map((item) => ({ ...combination, [key]: item })),
    );
  }
  return combinations;
}
