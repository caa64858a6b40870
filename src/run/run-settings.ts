import { dirname, join, resolve } from "node:path";
import { resolveModel } from "../../providers/model-ref.js";
import { type CoordinatorAddress, parseCoordinator } from "../coordinate/coordinator-url.js";
import { UsageError } from "../core/errors.js";
import type { ModelRef, RequestParams } from "../core/types.js";
import { inputEncoding } from "../input/encoding.js";
import { inputDelimiter } from "../input/format.js";
import { readParams } from "../input/request-params.js";
import { compileTemplate, type Template } from "../input/template.js";
import { STRATEGIES, type Strategy } from "../keys/key-strategy.js";
import { type KeySpec, loadKeyFile } from "../keys/load-keys.js";
import { RESULT_FORMATS, type ResultFormat } from "../output/result-records.js";
import type { Recipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { loadRouter, type RouterConfig } from "../router/router-file.js";
import { schemaResponseFormat } from "../schema/response-format.js";
import { readSchemaArg } from "../schema/schema-arg.js";
import { type BatchModeSettings, DEFAULT_POLL_MS } from "./batch-mode.js";
import { readTextArg } from "./text-arg.js";

/** Everything a run needs to know, checked and with defaults applied. */
export interface RunSettings {
  input: string;
  format: string | undefined;
  /** `--encoding`, canonical; UTF-8 when undefined. */
  encoding: string | undefined;
  /** `--delimiter` of a CSV or TSV input. */
  delimiter: string | undefined;
  model: ModelRef | undefined;
  /** `-m auto --router FILE`: the rules that choose each row's model. */
  router: RouterConfig | undefined;
  template: Template | undefined;
  system: Template | undefined;
  /** `--image`: a template each of an image every row adds; its paths are read from `cwd`. */
  images: Template[];
  cwd: string;
  params: RequestParams;
  baseUrl: string | undefined;
  out: string | undefined;
  concurrency: number;
  maxAttempts: number;
  timeoutMs: number;
  statePath: string;
  runName: string | undefined;
  fresh: boolean;
  cache: boolean;
  retryFailed: boolean;
  fallbacks: ModelRef[];
  tpm: number | undefined;
  rpm: number | undefined;
  keysFile: string | undefined;
  /** The `--keys` file, read and checked before anything else is (its errors come first). */
  keySpecs: KeySpec[] | undefined;
  strategy: Strategy;
  stream: boolean;
  outFormat: OutFormat;
  /** CSV results: write metasync's cells as they are, even those a spreadsheet would run as formulas. */
  csvFormulas: boolean;
  prices: string | undefined;
  maxCostUsd: number | undefined;
  dryRun: boolean;
  /** `--json`: the dry run's estimate as one JSON object on stdout. */
  json: boolean;
  report: string | undefined;
  /** `--coordinator` (or $METASYNC_COORDINATOR) and `--coordinator-timeout`: Redis, to share limits. */
  coordinator: { address: CoordinatorAddress; timeoutMs: number } | undefined;
  /** `--share`: workers may take the run's items (needs a coordinator). */
  share: boolean;
  /** `--via`: live requests, or the providers' batch APIs (design/batch.md). */
  via: Via;
  /** Batch mode's settings (used with `via: "batch"`). */
  batch: BatchModeSettings;
  /**
   * Files the run reads besides its input and state database — the recipe, `@file` templates, the
   * key and prices files — by how the user named them: no output may overwrite one.
   */
  reads: { path: string; label: string }[];
}

/** `--out-format`: JSONL lines (metasync's or OpenAI Batch API's shape) or CSV rows, on stdout or in `-o`. */
export const OUT_FORMATS = RESULT_FORMATS;
export type OutFormat = ResultFormat;

export const VIAS = ["live", "batch"] as const;
export type Via = (typeof VIAS)[number];

export const DEFAULTS = {
  concurrency: 8,
  maxAttempts: 5,
  timeoutSeconds: 600,
  coordinatorTimeoutSeconds: 60,
};

/** The largest values taken: `--timeout` is bounded by the longest timer Node keeps (2^31-1 ms). */
export const LIMITS = { concurrency: 10_000, maxAttempts: 100, timeoutSeconds: 2_147_483 };

/**
 * Merges a recipe with the flags (flags win) and checks the result. Text options given as `@file`
 * are read relative to the recipe for recipe values, to `cwd` for flags.
 */
export function resolveRunSettings(
  input: string,
  flags: RunOptionValues,
  recipe: Recipe | undefined,
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
): RunSettings {
  const merged: RunOptionValues = { ...recipe?.values, ...flags };
  const recipeOrCwd = (key: keyof RunOptionValues) =>
    flags[key] === undefined && recipe ? dirname(recipe.path) : cwd;
  const baseDirOf = (key: "template" | "system") => recipeOrCwd(key);
  const textOf = (key: "template" | "system", option: string) => {
    const value = merged[key];
    return value === undefined
      ? undefined
      : compileTemplate(readTextArg(value, baseDirOf(key), option), option);
  };

  let model: ModelRef | undefined;
  const auto = merged.model === "auto";
  if (auto && merged.router === undefined) {
    throw new UsageError("-m auto needs --router router.yaml: the rules that choose each row's model");
  }
  if (!auto && merged.router !== undefined) {
    throw new UsageError("--router goes with -m auto (a row's own model still wins)");
  }
  if (auto && merged.baseUrl !== undefined) {
    throw new UsageError(
      "--base-url applies to the provider of --model, and -m auto has none: set OPENAI_BASE_URL / ANTHROPIC_BASE_URL, or a key's base_url in --keys",
    );
  }
  const routerPath = merged.router === undefined ? undefined : resolve(recipeOrCwd("router"), merged.router);
  if (merged.model !== undefined && !auto) {
    const resolved = resolveModel(merged.model);
    if (!resolved.ok) throw new UsageError(`--model ${merged.model}: ${resolved.problem}`);
    model = resolved.ref;
  }
  const reads: { path: string; label: string }[] = recipe
    ? [{ path: resolve(cwd, recipe.path), label: "the recipe" }]
    : [];
  if (routerPath !== undefined) reads.push({ path: routerPath, label: "the --router file" });
  const params = readParams({
    temperature: merged.temperature,
    max_tokens: merged.maxTokens,
    top_p: merged.topP,
    stop: merged.stop,
    seed: merged.seed,
  });
  if (!params.ok) throw new UsageError(`--${params.problem.replace(/_/g, "-")}`);
  if (merged.schema !== undefined) {
    const schema = readSchemaArg(merged.schema, recipeOrCwd("schema"));
    params.params.response_format = schemaResponseFormat(schema.schema);
    if (schema.file !== undefined) reads.push({ path: schema.file, label: "the --schema file" });
  }

  const positive = (name: string, value: number | undefined, fallback: number) => {
    const n = value ?? fallback;
    if (!(n > 0)) throw new UsageError(`${name} must be greater than 0, got ${n}`);
    return n;
  };
  const atMost = (name: string, value: number | undefined, fallback: number, most: number, why = "") => {
    const n = positive(name, value, fallback);
    if (n > most) throw new UsageError(`${name} must be at most ${most}${why}, got ${n}`);
    return n;
  };
  const keysFile = merged.keys === undefined ? undefined : resolve(cwd, merged.keys);
  for (const key of ["template", "system"] as const) {
    const value = merged[key];
    if (value?.startsWith("@") && !value.startsWith("@@")) {
      reads.push({ path: resolve(baseDirOf(key), value.slice(1)), label: `the --${key} file` });
    }
  }
  const template = textOf("template", "--template");
  if (template && template.source.trim() === "") throw new UsageError("--template is empty");
  return {
    input,
    format: merged.format,
    encoding: merged.encoding === undefined ? undefined : inputEncoding(merged.encoding),
    delimiter: merged.delimiter === undefined ? undefined : inputDelimiter(merged.delimiter),
    model,
    router: routerPath === undefined ? undefined : loadRouter(routerPath),
    template,
    system: textOf("system", "--system"),
    images: (merged.image ?? []).map((source) => {
      if (source.trim() === "") throw new UsageError("--image is empty");
      return compileTemplate(source, "--image");
    }),
    cwd,
    params: params.params,
    baseUrl: merged.baseUrl,
    out: merged.out === undefined ? undefined : resolve(cwd, merged.out),
    concurrency: atMost("--concurrency", merged.concurrency, DEFAULTS.concurrency, LIMITS.concurrency),
    maxAttempts: atMost("--max-attempts", merged.maxAttempts, DEFAULTS.maxAttempts, LIMITS.maxAttempts),
    timeoutMs:
      atMost(
        "--timeout",
        merged.timeout,
        DEFAULTS.timeoutSeconds,
        LIMITS.timeoutSeconds,
        " seconds (24.8 days: a longer timer fires at once)",
      ) * 1000,
    statePath: resolve(cwd, merged.state ?? env.METASYNC_STATE ?? join(".metasync", "state.db")),
    runName: merged.run,
    fresh: merged.fresh ?? false,
    cache: merged.cache ?? true,
    retryFailed: merged.retryFailed ?? false,
    fallbacks: (merged.fallback ?? []).map((spec) => {
      const resolved = resolveModel(spec, model);
      if (!resolved.ok) throw new UsageError(`--fallback ${spec}: ${resolved.problem}`);
      return resolved.ref;
    }),
    tpm: merged.tpm === undefined ? undefined : positive("--tpm", merged.tpm, 0),
    rpm: merged.rpm === undefined ? undefined : positive("--rpm", merged.rpm, 0),
    keysFile,
    keySpecs: keysFile === undefined ? undefined : loadKeyFile(keysFile, env),
    strategy: oneOf("--strategy", merged.strategy, STRATEGIES, "round-robin"),
    stream: merged.stream ?? false,
    outFormat: oneOf("--out-format", merged.outFormat, OUT_FORMATS, "metasync"),
    csvFormulas: merged.csvFormulas ?? false,
    prices: merged.prices === undefined ? undefined : resolve(recipeOrCwd("prices"), merged.prices),
    maxCostUsd: merged.maxCost === undefined ? undefined : positive("--max-cost", merged.maxCost, 0),
    dryRun: merged.dryRun ?? false,
    json: jsonWithDryRun(merged),
    report: merged.report === undefined ? undefined : resolve(cwd, merged.report),
    coordinator: coordinatorOf(merged, env),
    share: shareWithCoordinator(merged, env),
    ...batchMode(merged, positive),
    reads,
  };
}

/** `--coordinator` (or $METASYNC_COORDINATOR, which a flag overrides) with its timeout, if one is given. */
export function coordinatorOf(
  merged: Pick<RunOptionValues, "coordinator" | "coordinatorTimeout">,
  env: Readonly<Record<string, string | undefined>>,
): RunSettings["coordinator"] {
  const url = merged.coordinator ?? (env.METASYNC_COORDINATOR || undefined);
  if (url === undefined) {
    if (merged.coordinatorTimeout !== undefined) {
      throw new UsageError("--coordinator-timeout goes with --coordinator (or METASYNC_COORDINATOR)");
    }
    return undefined;
  }
  const seconds = merged.coordinatorTimeout ?? DEFAULTS.coordinatorTimeoutSeconds;
  if (!(seconds > 0) || seconds > LIMITS.timeoutSeconds) {
    throw new UsageError(
      `--coordinator-timeout must be more than 0 and at most ${LIMITS.timeoutSeconds} seconds, got ${seconds}`,
    );
  }
  return { address: parseCoordinator(url), timeoutMs: seconds * 1000 };
}

function shareWithCoordinator(
  merged: RunOptionValues,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (!merged.share) return false;
  if (merged.coordinator === undefined && !env.METASYNC_COORDINATOR) {
    throw new UsageError(
      "--share needs a coordinator: give --coordinator redis://… (or METASYNC_COORDINATOR)",
    );
  }
  if (merged.maxCost !== undefined) {
    // Workers spend with keys of their own, outside the owner's cap: the run could not be held to it.
    throw new UsageError(
      "--share cannot keep --max-cost: workers spend outside the owner's cap; drop one of them",
    );
  }
  return true;
}

/** `--via` and the batch-mode options, which mean something only with `--via batch`. */
function batchMode(
  merged: RunOptionValues,
  positive: (name: string, value: number | undefined, fallback: number) => number,
): { via: Via; batch: BatchModeSettings } {
  const via = oneOf("--via", merged.via, VIAS, "live");
  if (via !== "batch") {
    const given = (["detach", "batchSize", "pollInterval", "batchQueueTokens"] as const).find(
      (key) => merged[key] !== undefined && merged[key] !== false,
    );
    if (given) {
      const flag = {
        detach: "--detach",
        batchSize: "--batch-size",
        pollInterval: "--poll-interval",
        batchQueueTokens: "--batch-queue-tokens",
      }[given];
      throw new UsageError(`${flag} goes with --via batch`);
    }
  } else {
    if ((merged.fallback ?? []).length > 0) {
      throw new UsageError(
        "--fallback needs live requests; a batch run retries in the next batch (or use --via live)",
      );
    }
    if (merged.stream) throw new UsageError("--stream needs live requests; batch answers come whole");
    if (merged.share) throw new UsageError("--share needs live requests; a batch run is sent by its owner");
  }
  return {
    via,
    batch: {
      detach: merged.detach ?? false,
      batchSize: merged.batchSize === undefined ? undefined : positive("--batch-size", merged.batchSize, 0),
      pollIntervalMs:
        merged.pollInterval === undefined
          ? DEFAULT_POLL_MS
          : positive("--poll-interval", merged.pollInterval, 0) * 1000,
      queueTokens:
        merged.batchQueueTokens === undefined
          ? undefined
          : positive("--batch-queue-tokens", merged.batchQueueTokens, 0),
      maxAttempts: merged.maxAttempts ?? DEFAULTS.maxAttempts,
    },
  };
}

/** `--json` says how a dry run prints its estimate; a run's results on stdout are JSON lines already. */
function jsonWithDryRun(merged: RunOptionValues): boolean {
  if (merged.json && !merged.dryRun) {
    throw new UsageError("--json goes with --dry-run (a run's results on stdout are JSON lines already)");
  }
  return merged.json ?? false;
}

/** A flag's value, one of `allowed` (a usage error naming the flag otherwise), or the fallback. */
export function oneOf<T extends string>(
  option: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${option} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}
