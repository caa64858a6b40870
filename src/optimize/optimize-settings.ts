import { createHash } from "node:crypto";
import { dirname, extname, join, resolve } from "node:path";
import { resolveModel } from "../../providers/model-ref.js";
import { UsageError } from "../core/errors.js";
import type { ModelRef } from "../core/types.js";
import type { Recipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { oneOf, type RunSettings, resolveRunSettings } from "../run/run-settings.js";
import type { Across } from "./aggregate-score.js";
import type { PromptParts, Target } from "./candidate-guards.js";
import type { Algo } from "./proposer-prompt.js";
import { type SplitFractions, splitFractions } from "./splits.js";

type Env = Readonly<Record<string, string | undefined>>;

/** optimize's own flags (design/optimize.md "Command"), beside `run`'s sending options. */
export interface OptimizeFlags {
  model?: string[];
  /** The eval-config form: which of its prompts (id or label). */
  prompt?: string;
  assert?: string[];
  /** The judge of model-graded assertions that name none (eval's `--grader`). */
  grader?: string;
  target?: string;
  algo?: string;
  proposer?: string;
  split?: string;
  train?: number;
  val?: number;
  test?: number;
  stratify?: string;
  seed?: number;
  maxRollouts?: number;
  patience?: number;
  minibatch?: number;
  proposals?: number;
  across?: string;
  history?: string;
  maxPromptTokens?: number;
  proposerPrompt?: string;
  requireGain?: boolean;
  selectOn?: string;
  /** commander's `--no-race`: false when given. */
  race?: boolean;
}

export interface OptimizeSettings {
  sending: RunSettings;
  models: ModelRef[];
  proposer: ModelRef;
  source: PromptParts;
  target: Target;
  algo: Algo;
  split: SplitFractions;
  stratify: string | undefined;
  seed: number;
  maxRollouts: number | undefined;
  patience: number;
  minibatch: number;
  proposals: number;
  across: Across;
  out: string;
  history: string;
  report: string | undefined;
  maxPromptTokens: number;
  proposerPrompt: string | undefined;
  requireGain: boolean;
  selectOn: "val" | "train";
  race: boolean;
  /** The checkpoint of this output's optimization, beside the state database. */
  journal: string;
}

export const OPTIMIZE_DEFAULTS = { seed: 0, patience: 6, minibatch: 6, proposals: 4 };

/** What is optimized: run's sending settings, the task models and the source prompt. */
export interface OptimizeSubject {
  sending: RunSettings;
  models: ModelRef[];
  source: PromptParts;
}

/**
 * The task models and source prompt of the dataset form: the recipe merged with run's sending
 * flags (flags win), as `run` does; `-m` may repeat (several task models), the first is the
 * recipe's model in `best.yaml`.
 */
export function datasetSubject(
  input: string,
  sendingFlags: RunOptionValues,
  flags: OptimizeFlags,
  recipe: Recipe | undefined,
  cwd: string,
  env: Env,
): OptimizeSubject {
  const first = flags.model?.[0];
  const sending = resolveRunSettings(
    input,
    { ...sendingFlags, ...(first ? { model: first } : {}) },
    recipe,
    cwd,
    env,
  );
  if (!sending.template) {
    throw new UsageError(
      "optimize needs a prompt to improve: a recipe with a template (-r recipe.yaml) or -t TEMPLATE",
    );
  }
  const models = (flags.model ?? []).map((spec) => model("-m", spec));
  if (models.length === 0) {
    if (!sending.model)
      throw new UsageError(
        "optimize needs a task model: -m provider:model (repeatable), or a model in the recipe",
      );
    models.push(sending.model);
  }
  return { sending, models, source: { template: sending.template.source, system: sending.system?.source } };
}

/** Checks optimize's own flags for a subject. */
export function resolveOptimizeSettings(
  subject: OptimizeSubject,
  flags: OptimizeFlags,
  cwd: string,
): OptimizeSettings {
  const { sending, models, source } = subject;
  const proposer =
    flags.proposer === undefined ? (models[0] as ModelRef) : model("--proposer", flags.proposer);
  const target = oneOf(
    "--target",
    flags.target,
    ["system", "template", "both"] as const,
    source.system !== undefined ? "system" : "template",
  );
  if (target !== "template" && source.system === undefined) {
    throw new UsageError(
      `--target ${target} needs a system prompt to rewrite: give --system (or system: in the recipe)`,
    );
  }
  if (sending.out === undefined)
    throw new UsageError("optimize needs -o <best.yaml>: where the winning recipe is written");
  const out = sending.out;
  const sourceTokens = Math.ceil(
    (Buffer.byteLength(source.template) + Buffer.byteLength(source.system ?? "")) / 4,
  );
  const history =
    flags.history === undefined
      ? `${out.slice(0, out.length - extname(out).length)}.opt.json`
      : resolve(cwd, flags.history);
  const key = createHash("sha256").update(out).digest("hex").slice(0, 16);
  return {
    sending,
    models,
    proposer,
    source,
    target,
    algo: oneOf("--algo", flags.algo, ["reflect", "opro", "ape"] as const, "reflect"),
    split: splitFractions(flags.split, { train: flags.train, val: flags.val, test: flags.test }),
    stratify: flags.stratify,
    seed: whole("--seed", flags.seed, OPTIMIZE_DEFAULTS.seed, 0),
    maxRollouts:
      flags.maxRollouts === undefined ? undefined : whole("--max-rollouts", flags.maxRollouts, 0, 1),
    patience: whole("--patience", flags.patience, OPTIMIZE_DEFAULTS.patience, 1),
    minibatch: whole("--minibatch", flags.minibatch, OPTIMIZE_DEFAULTS.minibatch, 1),
    proposals: whole("--proposals", flags.proposals, OPTIMIZE_DEFAULTS.proposals, 1),
    across: oneOf("--across", flags.across, ["mean", "min"] as const, "mean"),
    out,
    history,
    report: markdownReportPath(sending.report),
    maxPromptTokens: whole("--max-prompt-tokens", flags.maxPromptTokens, Math.max(1000, 4 * sourceTokens), 1),
    proposerPrompt: flags.proposerPrompt === undefined ? undefined : resolve(cwd, flags.proposerPrompt),
    requireGain: flags.requireGain ?? false,
    race: flags.race ?? true,
    selectOn: oneOf("--select-on", flags.selectOn, ["val", "train"] as const, "val"),
    journal: join(dirname(sending.statePath), "optimize", `${key}.jsonl`),
  };
}

/** `--report` writes Markdown (`.md`) or one self-contained HTML page with its plot (`.html`). */
function markdownReportPath(path: string | undefined): string | undefined {
  if (path !== undefined && !/\.(md|html?)$/i.test(path)) {
    throw new UsageError(`--report ${path}: optimize writes its report as Markdown (.md) or HTML (.html)`);
  }
  return path;
}

function model(option: string, spec: string): ModelRef {
  const resolved = resolveModel(spec);
  if (!resolved.ok) throw new UsageError(`${option} ${spec}: ${resolved.problem}`);
  return resolved.ref;
}

function whole(option: string, value: number | undefined, fallback: number, least: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < least)
    throw new UsageError(`${option} must be a whole number of at least ${least}, got ${n}`);
  return n;
}
