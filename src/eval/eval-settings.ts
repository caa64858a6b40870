import { ExitCode, UsageError } from "../core/errors.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { type RunSettings, resolveRunSettings } from "../run/run-settings.js";
import type { EvalConfig } from "./config/types.js";
import type { RowFilters } from "./eval-plan.js";

type Env = Readonly<Record<string, string | undefined>>;

/** eval's own flags, beside `run`'s sending options (design/eval.md "Command"). */
export interface EvalFlags {
  /** `-o`: repeatable; the format by extension. */
  output?: string[];
  repeat?: number;
  grader?: string;
  /** `--pass-rate`: the lowest passing rate in percent. */
  passRate?: number;
  /** `-t`: a tests file replacing the config's tests. */
  tests?: string;
  /** `--var k=v`, repeatable. */
  var?: string[];
  /** `-m`, repeatable: replaces the config's providers. */
  model?: string[];
  filterPattern?: string;
  filterFirstN?: number;
  filterPrompts?: string;
  filterProviders?: string;
  filterFailing?: string;
}

/** Everything an eval needs besides its config: the sending settings `run` would use, and eval's own. */
export interface EvalSettings {
  sending: RunSettings;
  outputs: string[];
  repeat: number;
  passRatePct: number;
  /** The exit code below the pass rate (`PROMPTFOO_FAILED_TEST_EXIT_CODE`, default 100). */
  failedExitCode: number;
  filters: RowFilters;
  filterFailing: string | undefined;
  /** `--grader` (or the `metasync:` block's `grader`): the judge of model-graded assertions that name none. */
  grader: string | undefined;
}

/**
 * Merges the config's `metasync:` block under the flags (flags win) and checks the result the way
 * `run` checks its options: the sending half is `run`'s own settings, resolved against the config's
 * directory for paths the block gives.
 */
export function resolveEvalSettings(
  config: EvalConfig,
  sendingFlags: RunOptionValues,
  flags: EvalFlags,
  cwd: string,
  env: Env,
): EvalSettings {
  const { grader, passRate, repeat, ...block } = config.metasync;
  const values: RunOptionValues = { ...(block as RunOptionValues) };
  if (values.concurrency === undefined && config.maxConcurrency !== undefined) {
    values.concurrency = config.maxConcurrency;
  }
  const sending = resolveRunSettings(config.path, sendingFlags, { path: config.path, values }, cwd, env);
  const passRatePct = flags.passRate ?? passRate ?? envNumber(env, "PROMPTFOO_PASS_RATE_THRESHOLD") ?? 100;
  if (!(passRatePct >= 0 && passRatePct <= 100)) {
    throw new UsageError(`--pass-rate must be a percentage from 0 to 100, got ${passRatePct}`);
  }
  const times = flags.repeat ?? repeat ?? config.repeat ?? 1;
  if (!(Number.isInteger(times) && times >= 1))
    throw new UsageError(`--repeat must be 1 or more, got ${times}`);
  return {
    sending,
    outputs: flags.output ?? [],
    repeat: times,
    passRatePct,
    failedExitCode: envNumber(env, "PROMPTFOO_FAILED_TEST_EXIT_CODE") ?? ExitCode.evalThreshold,
    filters: {
      pattern: pattern("--filter-pattern", flags.filterPattern),
      firstN: flags.filterFirstN,
      prompts: pattern("--filter-prompts", flags.filterPrompts),
      providers: pattern("--filter-providers", flags.filterProviders),
    },
    filterFailing: flags.filterFailing,
    grader: flags.grader ?? grader,
  };
}

/** `--var k=v` flags as vars; a flag without `=` is a usage error. */
export function parseVars(flags: readonly string[] | undefined): Record<string, string> | undefined {
  if (!flags || flags.length === 0) return undefined;
  const vars: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf("=");
    if (at <= 0) throw new UsageError(`--var ${flag}: expected name=value`);
    vars[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return vars;
}

function pattern(option: string, text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(`${option} ${text}: ${(error as Error).message}`);
  }
}

function envNumber(env: Env, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${name}=${text}: not a number`);
  return value;
}
