import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { type Clock, systemClock } from "../core/clock.js";
import { ExitCode, UsageError } from "../core/errors.js";
import type { ReporterEvent, ReporterSink } from "../core/events.js";
import { formatUsd } from "../core/format/usd.js";
import { formatModelRef } from "../core/types.js";
import { loadPriceTable } from "../cost/price-table.js";
import { openInputSource } from "../input/input-source.js";
import { loadRecipe } from "../recipe/load-recipe.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { providerEndpoints } from "../run/run-identity.js";
import { sessionSettings } from "../run/session-settings.js";
import { SendingSession } from "../session/sending-session.js";
import { bestRecipe, writeText } from "./artifacts.js";
import { runTemplateFields } from "./candidate-guards.js";
import { readDataset } from "./dataset.js";
import { evalConfigProblem } from "./eval-config-subject.js";
import { Journal } from "./journal.js";
import { OptimizeJudge } from "./judge.js";
import { optimizeHistory } from "./optimize-history.js";
import { htmlReport } from "./optimize-html.js";
import { markdownReport, type OptimizeSummary, summaryLines } from "./optimize-report.js";
import { datasetSubject, type OptimizeFlags, resolveOptimizeSettings } from "./optimize-settings.js";
import { pairedBootstrap } from "./paired-bootstrap.js";
import { metaPrompt } from "./proposer-prompt.js";
import { type Instance, Rollouts, runRequestBuilder } from "./rollouts.js";
import { AssertionScorer } from "./scorer.js";
import { Search } from "./search.js";
import { SpendPlan } from "./spend-plan.js";
import { splitRows } from "./splits.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface ExecuteOptimizeOptions {
  /** The dataset (`.csv`, `.tsv`, `.jsonl`). */
  input: string;
  recipe?: string | undefined;
  sending: RunOptionValues;
  flags: OptimizeFlags;
  env: Env;
  cwd: string;
  signal?: AbortSignal | undefined;
  emit?: ReporterSink;
  clock?: Clock;
  fetch?: typeof fetch;
}

export interface OptimizeOutcome {
  /** The end report (or the dry run's figures), for stderr. */
  text: string;
  exitCode: number;
}

/**
 * `metasync optimize <data> -r recipe.yaml --assert …`: splits the data (train, val, sealed test),
 * scores the source prompt, grows candidates with the chosen algorithm through the one sending
 * session, tests the baseline and the winner on the sealed test, and writes `best.yaml`, the
 * history (`opt.json`) and the report. A rerun replays the journal and continues.
 */
export async function executeOptimize(options: ExecuteOptimizeOptions): Promise<OptimizeOutcome> {
  const { env, cwd, flags } = options;
  const emit = options.emit ?? (() => {});
  const clock = options.clock ?? systemClock;
  const evalConfig = /\.ya?ml$/i.test(options.input);
  if (evalConfig && (flags.assert !== undefined || options.recipe !== undefined)) {
    throw new UsageError(
      `${options.input} is an eval config: its tests carry their assertions and its prompts the prompt (drop ${flags.assert !== undefined ? "--assert" : "-r"})`,
    );
  }
  if (!evalConfig && flags.prompt !== undefined) {
    throw new UsageError(
      "--prompt chooses a prompt of an eval config (.yaml); a dataset's prompt is the recipe's template",
    );
  }
  const problem = evalConfig
    ? {
        kind: "eval-config" as const,
        ...evalConfigProblem(options.input, flags.prompt, options.sending, flags, cwd, env),
      }
    : await datasetProblem(options, cwd, env);
  const { rows, dataHash, scorer } = problem;
  const settings = resolveOptimizeSettings(problem.subject, flags, cwd);
  const { sending, models, source } = settings;
  const meta = metaPrompt(settings.algo, settings.proposerPrompt);
  const strata =
    settings.stratify === undefined
      ? undefined
      : rows.map((row) => stratumOf(row.vars, settings.stratify as string, options.input));
  const splits = splitRows(
    rows.map((r) => r.id),
    settings.split,
    settings.seed,
    strata,
  );
  const prices = loadPriceTable({ overrides: sending.prices });
  const judgeModels = scorer.judgeModels();
  const allModels = [...models, settings.proposer, ...judgeModels];
  if (sending.maxCostUsd !== undefined) {
    const unpriced = allModels.map(formatModelRef).filter((m) => !prices.lookup(m));
    if (unpriced.length > 0) {
      throw new UsageError(
        `--max-cost needs a price for every model; none for ${[...new Set(unpriced)].join(", ")} (add them with --prices)`,
      );
    }
  }
  const inputs = {
    data: dataHash,
    split: digest([settings.split, settings.seed, settings.stratify ?? null, settings.selectOn]),
    scorer: scorer.fingerprint,
    source: digest([source, settings.target, models.map(formatModelRef), sending.params]),
  };
  const journal = sending.dryRun ? Journal.inMemory() : Journal.open(settings.journal, inputs, sending.fresh);
  const plan = new SpendPlan(sending.maxCostUsd, prices, () => journal.spentUsd);
  const sessionEmit = (event: ReporterEvent) => {
    // The batches of one optimization are one piece of work: their own start and end are not shown.
    if (event.type === "start" || event.type === "end" || event.type === "run") return;
    emit(event);
  };
  const endpoints = providerEndpoints(sending, env);
  const rollouts = new Rollouts(
    rows,
    problem.build,
    scorer,
    journal,
    plan,
    () =>
      SendingSession.open(
        sessionSettings(sending, {
          models: allModels,
          pending: true,
          prices,
          spentBeforeUsd: journal.spentUsd,
          env,
          clock,
          emit: sessionEmit,
          fetch: options.fetch,
        }),
      ),
    options.signal,
    endpoints,
  );
  if (judgeModels.length > 0) {
    rollouts.judge = new OptimizeJudge(
      journal,
      scorer.defaultGrader,
      problem.baseDir,
      () => rollouts.openSession(),
      endpoints,
      options.signal,
    );
  }
  const instances = (rowIndexes: readonly number[]): Instance[] =>
    rowIndexes.flatMap((row) => models.map((_, model) => ({ row, model })));
  const selecting = settings.selectOn === "train" ? splits.train : splits.val;
  const val = instances(selecting);
  const test = instances(splits.test);
  const search = new Search(
    {
      algo: settings.algo,
      target: settings.target,
      seed: settings.seed,
      across: settings.across,
      minibatch: settings.minibatch,
      proposals: settings.proposals,
      patience: settings.patience,
      maxRollouts: settings.maxRollouts,
      maxPromptTokens: settings.maxPromptTokens,
      fields: problem.fields,
      race: settings.race,
      proposer: settings.proposer,
      proposerParams: { max_tokens: settings.maxPromptTokens + 1024 },
      meta: meta.template,
    },
    rollouts,
    scorer,
    rows,
    models,
    splits.train,
    val,
    emit,
  );

  const maxPromptBytes = settings.maxPromptTokens * 4;
  // The sealed test is reserved first: the source prompt's, and the winner's — the source's too
  // until a better prompt is found; a candidate is raced only if the reserve also covers its test.
  const testUsd = (parts: typeof source) => rollouts.worstOfInstances(parts, test);
  plan.testReserveUsd = 2 * testUsd(source);
  search.reserveTest(testUsd);
  const startUsd = search.sourceValUsd(source);
  if (sending.dryRun) {
    return {
      text: dryRunText(
        settings,
        splits,
        plan.testReserveUsd,
        startUsd,
        search.oneProposalUsd(
          source,
          rollouts.unknownCandidateUsd(source, test, maxPromptBytes) - testUsd(source),
        ),
      ),
      exitCode: ExitCode.ok,
    };
  }
  if (!plan.fits(startUsd)) {
    const least = plan.spentUsd + plan.testReserveUsd + startUsd;
    throw new UsageError(
      `--max-cost ${formatUsd(plan.capUsd)} is too small: scoring the prompt on val and the sealed test of the baseline and the winner can cost up to ${formatUsd(least)}; the least that would do is ${formatUsd(least)} (see --dry-run)`,
    );
  }
  emit({
    type: "optimize_start",
    algo: settings.algo,
    train: splits.train.length,
    val: splits.val.length,
    test: splits.test.length,
    models: models.map(formatModelRef),
    resumed: journal.resumed,
    cap_usd: plan.capUsd ?? null,
  });
  try {
    await search.start(source);
    const stopReason = await search.run();
    // The reserve is released for what it was kept for: the sealed test.
    plan.testReserveUsd = 0;
    const winner = search.best;
    const baselineTest = await rollouts.score(source, test);
    const winnerTest = winner.id === 0 ? baselineTest : await rollouts.score(winner.prompt, test);
    const stats = pairedBootstrap(
      baselineTest.map((r) => r.score),
      winnerTest.map((r) => r.score),
      test.map((i) => i.row),
      test.map((i) => i.model),
      models.length,
      settings.across,
      settings.seed,
    );
    const extraBytes =
      Buffer.byteLength(winner.prompt.template) +
      Buffer.byteLength(winner.prompt.system ?? "") -
      Buffer.byteLength(source.template) -
      Buffer.byteLength(source.system ?? "");
    const extraTokens = Math.round(extraBytes / 4);
    const inputPrices = models.map((m) => prices.lookup(formatModelRef(m))?.price.input);
    const summary: OptimizeSummary = {
      stopReason,
      candidates: search.pool.length,
      winner: winner.id,
      test: { ...stats, rows: splits.test.length },
      val: { baseline: search.source.val_score ?? 0, winner: winner.val_score ?? 0 },
      gap: (winner.val_score ?? 0) - stats.winner.value,
      costs: rollouts.costs,
      capUsd: plan.capUsd ?? null,
      paidUsd: journal.spentUsd,
      perRun: {
        rows: rows.length * models.length,
        extraTokens: extraTokens * rows.length * models.length,
        extraUsd: inputPrices.some((p) => p === undefined)
          ? null
          : inputPrices.reduce(
              (sum: number, p) => sum + ((p as number) * extraTokens * rows.length) / 1e6,
              0,
            ),
      },
    };
    const header = [
      `metasync optimize: ${settings.algo} on ${options.input} (seed ${settings.seed}), candidate #${winner.id} of ${search.pool.length}`,
      `source: ${options.recipe ?? "the flags"}; sealed test ${pct(stats.baseline.value)} → ${pct(stats.winner.value)}${stats.significant ? "" : " (no significant gain)"}`,
    ];
    await writeText(
      settings.out,
      problem.kind === "dataset"
        ? bestRecipe({
            recipePath: problem.recipePath,
            winner: winner.prompt,
            values: recipeValues(options.sending, models),
            header,
          })
        : winner.prompt.template,
      problem.kind === "dataset" ? "the winning recipe" : "the winning prompt",
    );
    const history = optimizeHistory({
      settings,
      inputs,
      splits,
      rows,
      search,
      summary,
      metaSource: meta.source,
      stats,
    });
    await writeText(settings.history, history, "the optimization history");
    if (settings.report !== undefined) {
      const report = /\.html?$/i.test(settings.report)
        ? htmlReport(
            `metasync optimize: ${settings.algo} on ${options.input}`,
            summary,
            search.pool,
            search.path,
          )
        : markdownReport(summary, search.pool);
      await writeText(settings.report, report, "the report");
    }
    emit({ type: "optimize_end", stop: stopReason, winner: winner.id, significant: stats.significant });
    const text = `${[`optimize: wrote ${options.sending.out} and ${settings.history}`, ...summaryLines(summary)].join("\n")}\n`;
    const exitCode = settings.requireGain && !stats.significant ? ExitCode.evalThreshold : ExitCode.ok;
    return { text, exitCode };
  } finally {
    await rollouts.close();
  }
}

/** The dataset form: a dataset's rows with a recipe (or -t) and `--assert`. */
async function datasetProblem(options: ExecuteOptimizeOptions, cwd: string, env: Env) {
  const recipe = options.recipe === undefined ? undefined : loadRecipe(resolve(cwd, options.recipe));
  const subject = datasetSubject(options.input, options.sending, options.flags, recipe, cwd, env);
  const scorer = AssertionScorer.from(options.flags.assert ?? [], {
    baseDir: cwd,
    env,
    grader: options.flags.grader,
  });
  const { sending, models } = subject;
  const inputSource = openInputSource(options.input, {
    format: sending.format,
    encoding: sending.encoding,
    delimiter: sending.delimiter,
    cwd,
  });
  const { rows, hash } = await readDataset(inputSource, {
    model: models[0],
    template: sending.template,
    system: sending.system,
    params: sending.params,
  });
  return {
    kind: "dataset" as const,
    subject,
    baseDir: cwd,
    rows,
    dataHash: hash,
    scorer,
    build: runRequestBuilder(models, sending.params),
    fields: runTemplateFields,
    recipePath: recipe ? resolve(cwd, recipe.path) : undefined,
  };
}

/** The model and request parameters given as flags, as recipe keys of `best.yaml`. */
function recipeValues(
  sending: RunOptionValues,
  models: readonly { provider: string; model: string }[],
): Record<string, unknown> {
  return {
    model: formatModelRef(models[0] as { provider: string; model: string }),
    temperature: sending.temperature,
    max_tokens: sending.maxTokens,
    top_p: sending.topP,
    stop: sending.stop,
  };
}

function stratumOf(vars: Readonly<Record<string, unknown>>, field: string, file: string): string {
  if (!(field in vars)) throw new UsageError(`--stratify ${field}: ${file} has no field "${field}"`);
  const value = vars[field];
  return typeof value === "string" ? value : JSON.stringify(value);
}

function digest(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

function dryRunText(
  settings: ReturnType<typeof resolveOptimizeSettings>,
  splits: { train: number[]; val: number[]; test: number[] },
  testUsd: number,
  startUsd: number,
  proposal: { propose: number; race: number; perStep: number },
): string {
  const toPropose = testUsd + startUsd + proposal.propose;
  const toRace = toPropose + proposal.race;
  const cap = settings.sending.maxCostUsd;
  const each = proposal.propose + proposal.race;
  const proposals =
    cap === undefined || each === 0 ? undefined : Math.max(0, Math.floor((cap - testUsd - startUsd) / each));
  const perStep = proposal.perStep > 1 ? ` (${proposal.perStep} proposals a step)` : "";
  return [
    `optimize --dry-run (${settings.algo}; nothing sent): ${splits.train.length} train, ${splits.val.length} val, ${splits.test.length} sealed test rows × ${settings.models.length} model(s)`,
    `reserved for the sealed test at the start (the source prompt's, for the baseline and the winner; worst case): ${formatUsd(testUsd)}`,
    `scoring the source prompt on val (worst case): ${formatUsd(startUsd)}`,
    `one proposal before its race (worst case: ${settings.algo === "reflect" ? "the parent's minibatch, the proposer call, the child's minibatch" : "the proposer call"}): ${formatUsd(proposal.propose)}${perStep}`,
    `racing it on all of val and testing it should it win (worst case: a prompt of --max-prompt-tokens): ${formatUsd(proposal.race)}`,
    `--max-cost that surely buys one proposal: ${formatUsd(toPropose)}; that also races and tests it whatever its length: ${formatUsd(toRace)}`,
    cap === undefined
      ? "no --max-cost: the search stops by --patience or --max-rollouts"
      : proposals === undefined
        ? `--max-cost ${formatUsd(cap)}: nothing here is priced above $0`
        : toPropose > cap
          ? `--max-cost ${formatUsd(cap)} may buy no proposal (one is sure from ${formatUsd(toPropose)}; short answers and prompts cost less than these worst cases)`
          : proposals === 0
            ? `--max-cost ${formatUsd(cap)} buys a proposal; a long one may not be raced in full (give ${formatUsd(toRace)} to be sure)`
            : `--max-cost ${formatUsd(cap)} buys at least ${proposals} proposal(s) raced and tested at their worst case (racing, reuse and shorter prompts usually buy more)`,
    "",
  ].join("\n");
}
