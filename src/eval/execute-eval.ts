import { resolve } from "node:path";
import { providerInfo } from "../../providers/registry.js";
import { type Clock, every, systemClock } from "../core/clock.js";
import { ConfigError, ExitCode, InterruptedError, type MetasyncError, UsageError } from "../core/errors.js";
import type { EndReason, EngineEvent, ReporterSink } from "../core/events.js";
import type { ItemResult, ModelRef } from "../core/types.js";
import { loadPriceTable } from "../cost/price-table.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import { providerEndpoints } from "../run/run-identity.js";
import type { RunSettings } from "../run/run-settings.js";
import { sessionSettings } from "../run/session-settings.js";
import { SendingSession } from "../session/sending-session.js";
import type { RunRecord } from "../store/run-record.js";
import { type RunOwner, StateStore } from "../store/state-store.js";
import { defaultConfigPath, readEvalConfig } from "./config/load-config.js";
import type { EvalConfig, EvalProvider, EvalTest } from "./config/types.js";
import { estimateEval } from "./eval-dry-run.js";
import { EvalFingerprint, evalFingerprint } from "./eval-fingerprint.js";
import { checkEvalOutputPaths, openEvalOutputs } from "./eval-outputs.js";
import { type PlannedRow, planRows, RowKeys, type RowPlan, rowItems } from "./eval-plan.js";
import type { EvalRow } from "./eval-row.js";
import { scoreRow } from "./eval-score.js";
import { type EvalFlags, parseVars, resolveEvalSettings } from "./eval-settings.js";
import { Grader } from "./grader/grader.js";
import { JudgeModels, judgeCallsOf, judgedAssertions } from "./grader/judge-plan.js";
import { RowJudge, type SelectBestGroup } from "./grader/row-judge.js";
import { evalRowJson } from "./output/row-json.js";
import { PackedList } from "./packed-list.js";
import { type EvalSummary, EvalSummaryBuilder, renderSummaryTable, verdict } from "./summary.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface ExecuteEvalOptions {
  /** The config file; default ./metasync.eval.yaml, else ./promptfooconfig.yaml. */
  config?: string | undefined;
  /** `run`'s sending options given as flags. */
  sending: RunOptionValues;
  flags: EvalFlags;
  env: Env;
  cwd: string;
  signal?: AbortSignal | undefined;
  /** The engine's events, and eval's own: an `eval_score` per graded row (the dashboard's matrix). */
  emit?: ReporterSink;
  clock?: Clock;
  /** This process, to claim the eval so two processes never send it at once. */
  owner?: RunOwner;
  fetch?: typeof fetch;
}

export interface EvalOutcome {
  evalId: string | undefined;
  /** Text for stderr: the summary table and the verdict, or the dry run's estimate. */
  text: string;
  summary: EvalSummary | undefined;
  reason: EndReason | "dry-run";
  stopError?: MetasyncError;
  exitCode: number;
}

/**
 * `metasync eval`: a promptfoo config's tests × prompts × providers × repeats become the items of a
 * run in the state database, sent through the same sending session as `run` (budgets, key pool,
 * retries, cache, cap, checkpoints), then graded with promptfoo's assertions and written out.
 * Rerunning the same command resumes: only rows without an answer are sent.
 */
export async function executeEval(options: ExecuteEvalOptions): Promise<EvalOutcome> {
  const { env, cwd, flags } = options;
  const emit = options.emit ?? (() => {});
  const clock = options.clock ?? systemClock;
  const configPath = options.config === undefined ? defaultConfigPath(cwd) : options.config;
  // The tests are packed off the heap as they are read (see PackedList), never all objects at once;
  // what is needed of all of them is taken on the way.
  const packer = PackedList.builder<EvalTest>();
  const names = new Set<string>();
  const fingerprintOfAll = new EvalFingerprint();
  const judgeModels = new JudgeModels();
  const config = readEvalConfig(
    configPath,
    {
      env,
      cwd,
      ...(flags.tests !== undefined ? { testsFile: flags.tests } : {}),
      ...(flags.var ? { vars: parseVars(flags.var) ?? {} } : {}),
      ...(flags.model ? { models: flags.model } : {}),
    },
    (test) => {
      packer.add(test);
      for (const name in test.vars) names.add(name);
      fingerprintOfAll.addTest(test);
      judgeModels.add(test);
    },
  );
  const tests = packer.finish();
  /** Every var name of the tests, in the order the CSV output's `var:<name>` columns take. */
  const varNames = [...names];
  const settings = resolveEvalSettings(config, options.sending, flags, cwd, env);
  const sending = withProviderEndpoint(settings.sending, config.providers);
  const kept = [
    { path: resolve(cwd, config.path), label: "the config" },
    ...(flags.tests !== undefined ? [{ path: resolve(cwd, flags.tests), label: "the tests file" }] : []),
    { path: sending.statePath, label: "the state database" },
  ];
  checkEvalOutputPaths(settings.outputs, kept);
  const sendEnv = providerKeyEnv(config.providers, env);
  const judges = judgeModels.resolve(settings.grader);
  if (judges.problems.length > 0) {
    throw new ConfigError(judges.problems.map((problem) => `${config.path}: ${problem}`).join("\n"));
  }

  if (sending.dryRun) {
    const plan = planRows({ ...config, tests }, settings.repeat, settings.filters);
    const problems: string[] = [];
    let judgeCalls = 0;
    if (judgeModels.used) {
      const perRepeat = plan.prompts.length * plan.providers.length;
      for (let index = 0; index < plan.tests.length; index++) {
        judgeCalls += judgeCallsOf(plan.tests.at(index) as EvalTest, perRepeat, plan.repeat);
      }
    }
    const text = await estimateEval(rowItems(config, plan, env, problems), plan.size, sending, sendEnv, {
      calls: judgeCalls,
      models: judges.models,
    });
    if (problems.length > 0) throw new ConfigError(problems.join("\n"));
    return {
      evalId: undefined,
      text,
      summary: undefined,
      reason: "dry-run",
      exitCode: ExitCode.ok,
    };
  }

  const store = StateStore.open(sending.statePath, () => clock.now());
  try {
    if (settings.filterFailing !== undefined) {
      settings.filters.failing = store.failingEvalRows(findEval(store, settings.filterFailing).id);
    }
    const plan = planRows({ ...config, tests }, settings.repeat, settings.filters);
    // Filters that choose tests need a pass over the chosen ones.
    const fingerprint =
      plan.tests === tests ? fingerprintOfAll.digest(plan, env) : evalFingerprint(plan, env);
    const endpoints = providerEndpoints(sending, sendEnv);
    const key = `eval:${sending.runName ?? resolve(cwd, config.path)}`;
    const { run, continued } = store.claimKey({
      key,
      owner: options.owner,
      continues: (latest) => !sending.fresh && latest.inputFingerprint === fingerprint,
      start: {
        create: {
          key,
          name: sending.runName ?? null,
          slug: sending.runName ?? "eval",
          inputPath: resolve(cwd, config.path),
          optionsFingerprint: fingerprint,
          options: {
            kind: "eval",
            config: config.path,
            ...(Object.keys(endpoints).length > 0 ? { endpoints } : {}),
          },
        },
      },
    });
    const stopHeartbeat = options.owner
      ? every(clock, 10_000, () => {
          try {
            store.heartbeat(run.id, clock.now());
          } catch {
            // A missed heartbeat only matters to a process on another host; the next one may land.
          }
        })
      : undefined;
    try {
      if (!continued) ingestRows(store, run, config, plan, env, fingerprint, endpoints);
      return await sendAndGrade(
        store,
        run,
        continued,
        config,
        plan,
        varNames,
        settings,
        sending,
        sendEnv,
        options,
        clock,
        emit,
        judges.models,
        endpoints,
      );
    } finally {
      stopHeartbeat?.();
      if (options.owner) store.releaseRun(run.id);
    }
  } finally {
    store.close();
  }
}

/**
 * Stores the rows' items as they are made (none is kept in memory). A prompt that does not render
 * is a config problem: the ingest is undone and every such row reported, before anything is sent.
 */
function ingestRows(
  store: StateStore,
  run: RunRecord,
  config: EvalConfig,
  plan: RowPlan,
  env: Env,
  fingerprint: string,
  endpoints: Record<string, string[]>,
): void {
  try {
    const ingest = store.ingest(run.id, endpoints);
    const problems: string[] = [];
    let total = 0;
    for (const item of rowItems(config, plan, env, problems)) {
      ingest.add(item);
      total++;
    }
    if (problems.length > 0) throw new ConfigError(problems.join("\n"));
    ingest.finish({ fingerprint, total, csvHeader: undefined });
  } catch (error) {
    store.abortIngest(run.id);
    throw error;
  }
}

async function sendAndGrade(
  store: StateStore,
  run: RunRecord,
  continued: boolean,
  config: EvalConfig,
  plan: RowPlan,
  varNames: readonly string[],
  settings: ReturnType<typeof resolveEvalSettings>,
  sending: RunSettings,
  sendEnv: Env,
  options: ExecuteEvalOptions,
  clock: Clock,
  emit: ReporterSink,
  judgeModels: readonly ModelRef[],
  endpoints: Record<string, string[]>,
): Promise<EvalOutcome> {
  const cached = sending.cache ? store.applyCache(run.id) : 0;
  const state = !continued ? "new" : run.status === "finished" ? "finished" : "resumed";
  emit({ type: "run", runId: run.id, state, cached, retried: 0 });
  const before = store.counts(run.id);
  // The batch's end is told once the rows are graded too, so a dashboard stays up while judges work
  // and its matrix fills in; a judge call's start is no row in flight.
  let heldEnd: EngineEvent | undefined;
  const sessionEmit = (event: EngineEvent) => {
    if (event.type === "end") heldEnd = event;
    else if (!(event.type === "item_start" && event.id.startsWith("judge-"))) emit(event);
  };
  // One session for the rows and their judge calls: one key pool, one set of budgets, one cap. With
  // rows to send it opens now (every key checked before anything is sent); with none, on the first
  // judge call that must be sent (a finished eval reruns without any).
  const openSession = (models: readonly ModelRef[], pending: boolean) =>
    SendingSession.open(
      sessionSettings(sending, {
        models,
        pending,
        prices: loadPriceTable({ overrides: sending.prices }),
        spentBeforeUsd: store.spentUsd(run.id) + store.judgeSpentUsd(run.id),
        env: sendEnv,
        clock,
        emit: sessionEmit,
        fetch: options.fetch,
      }),
    );
  // With rows to send, the batch's session sends the judge calls too; with none (a rerun), the batch
  // session has no model and the judges get their own, opened on the first call that must be sent.
  const pending = before.pending > 0;
  const batchSession = await openSession(
    pending ? [...plan.providers.map((p) => p.model), ...judgeModels] : [],
    pending,
  );
  let judgeSession: Promise<SendingSession> | undefined;
  const session = () => {
    if (pending) return Promise.resolve(batchSession);
    judgeSession ??= openSession(judgeModels, true);
    return judgeSession;
  };
  const grader = new Grader({
    session,
    log: store.judgeCalls(run.id),
    cache: sending.cache,
    endpoints: (provider) => endpoints[provider],
    signal: options.signal,
  });
  let outcome: Awaited<ReturnType<SendingSession["sendBatch"]>>;
  let summary: EvalSummary;
  try {
    outcome = await batchSession.sendBatch({
      ledger: store.ledger(run.id, { emitted: false }),
      total: before.total,
      previouslyDone: before.ok + before.failed,
      signal: options.signal,
    });
    if (store.counts(run.id).pending === 0) store.setStatus(run.id, "finished");
    summary = await gradeAndWrite(store, run, config, plan, varNames, settings, sendEnv, grader, emit);
  } finally {
    batchSession.close();
    if (judgeSession) (await judgeSession.catch(() => undefined))?.close();
    if (heldEnd) emit(heldEnd);
  }
  const items = store.counts(run.id);
  const passed = verdict(summary, settings.passRatePct) === "pass";
  const judgeStop = grader.stopped;
  const reason: EndReason =
    outcome.reason === "interrupted" || judgeStop instanceof InterruptedError
      ? "interrupted"
      : outcome.reason === "stopped" || judgeStop
        ? "stopped"
        : outcome.reason;
  const exitCode =
    reason === "interrupted"
      ? ExitCode.interrupted
      : reason === "stopped" || items.pending > 0
        ? ExitCode.stoppedEarly
        : passed
          ? ExitCode.ok
          : settings.failedExitCode;
  const rate = summary.overall.rows > 0 ? (summary.overall.pass / summary.overall.rows) * 100 : 0;
  const judged =
    grader.counts.sent + grader.counts.reused > 0
      ? `judge calls: ${grader.counts.sent} sent, ${grader.counts.reused} answered before\n`
      : "";
  const verdictLine =
    items.pending > 0
      ? `eval ${run.id}: ${items.pending} of ${items.total} rows not run yet; rerun the same command to resume`
      : judgeStop
        ? `eval ${run.id}: grading stopped (${judgeStop.message}); rerun the same command to resume`
        : `eval ${run.id}: pass rate ${rate.toFixed(1)}% (${summary.overall.error} errors) — ${passed ? "at or above" : "below"} the threshold of ${settings.passRatePct}%`;
  const stopError = outcome.stopError ?? judgeStop;
  return {
    evalId: run.id,
    text: `${renderSummaryTable(summary)}${judged}${verdictLine}\n`,
    summary,
    reason,
    ...(stopError ? { stopError } : {}),
    exitCode,
  };
}

/**
 * Grades every answered row and streams the verdicts, in order, to the database and the outputs.
 * A test's rows are graded together (a `select-best` compares them), with up to `concurrency` rows
 * waiting for their judge calls at once.
 */
async function gradeAndWrite(
  store: StateStore,
  run: RunRecord,
  config: EvalConfig,
  plan: RowPlan,
  varNames: readonly string[],
  settings: ReturnType<typeof resolveEvalSettings>,
  env: Env,
  grader: Grader,
  emit: ReporterSink,
): Promise<EvalSummary> {
  const writers = await openEvalOutputs(settings.outputs, {
    varNames,
    ...(config.description ? { title: config.description } : {}),
  });
  const builder = new EvalSummaryBuilder(settings.repeat);
  const verdicts = store.evalVerdicts(run.id);
  const keys = new RowKeys();
  const window = Math.max(1, settings.sending.concurrency);
  const inFlight: { index: number; planned: PlannedRow; row: Promise<EvalRow> }[] = [];
  const write = async () => {
    const next = inFlight.shift();
    if (!next) return;
    const row = await next.row;
    // The contract's JSON of the row, made once: the database keeps it, the JSON files write it.
    const json = evalRowJson(row);
    verdicts.add(next.index, keys.key(next.planned), row, json);
    builder.add(row);
    emit({ type: "eval_score", prompt: row.prompt, provider: row.provider, status: row.status });
    await writers.add(row, json);
  };
  type Answered = { index: number; planned: PlannedRow; result: ItemResult };
  const grade = (group: readonly Answered[]) => {
    const test = group[0]?.planned.test;
    if (!test) return;
    // Only a test with a model-graded assertion needs a judge (most rows of a large eval have none).
    const judged = judgedAssertions(test);
    const compared = judged.some((a) => a.baseType === "select-best") ? selectBestGroups(group) : undefined;
    for (const { index, planned, result } of group) {
      const judge =
        judged.length === 0
          ? undefined
          : new RowJudge(
              grader,
              settings.grader,
              test,
              planned.repeat,
              config.baseDir,
              compared?.get(index),
              String(index),
            );
      const row = scoreRow(planned, result, { baseDir: config.baseDir, env, judge });
      inFlight.push({ index, planned, row });
    }
  };
  try {
    let group: Answered[] = [];
    for (const { index, result } of store.entries(run.id)) {
      const planned = plan.row(index);
      if (!planned || !result) continue;
      if (group.length > 0 && group[0]?.planned.test !== planned.test) {
        grade(group);
        group = [];
        while (inFlight.length > window) await write();
      }
      group.push({ index, planned, result });
    }
    grade(group);
    while (inFlight.length > 0) await write();
    verdicts.finish();
  } catch (error) {
    verdicts.finish();
    await Promise.allSettled(inFlight.map((pending) => pending.row));
    await writers.abort();
    throw error;
  }
  const summary = builder.build();
  await writers.finish(summary);
  return summary;
}

/**
 * For each answered row of a test whose assertions include `select-best`, the outputs it is
 * compared with (every prompt × provider of its repeat, in row order) and its place among them.
 */
function selectBestGroups(
  group: readonly { index: number; planned: PlannedRow; result: ItemResult }[],
): Map<number, SelectBestGroup> {
  const found = new Map<number, SelectBestGroup>();
  const byRepeat = new Map<number, { index: number; output: string }[]>();
  for (const { index, planned, result } of group) {
    if (result.status !== "ok" || result.output === null) continue;
    const list = byRepeat.get(planned.repeat) ?? [];
    list.push({ index, output: result.output });
    byRepeat.set(planned.repeat, list);
  }
  for (const list of byRepeat.values()) {
    const outputs = list.map((entry) => entry.output);
    for (const [place, entry] of list.entries()) found.set(entry.index, { outputs, index: place });
  }
  return found;
}

/** An eval of the state database by id, unique prefix or name. */
function findEval(store: StateStore, ref: string): RunRecord {
  const found = store.findRun(ref);
  if (found?.options.kind !== "eval") throw new UsageError(`--filter-failing ${ref}: no such eval`);
  return found;
}

/**
 * The config's `apiBaseUrl` as the sending settings' base URL of its provider: one endpoint per
 * provider (what the key pool sends to), so two models of one provider at different endpoints are
 * refused rather than sent to the wrong one.
 */
function withProviderEndpoint(sending: RunSettings, providers: readonly EvalProvider[]): RunSettings {
  const urls = new Map<string, Set<string | undefined>>();
  for (const provider of providers) {
    const set = urls.get(provider.model.provider) ?? new Set();
    set.add(provider.baseUrl ?? sending.baseUrl);
    urls.set(provider.model.provider, set);
  }
  const given = [...urls].filter(([, set]) => [...set].some((url) => url !== undefined));
  for (const [name, set] of given) {
    if (set.size > 1) {
      throw new UsageError(
        `providers of ${name} are sent to different endpoints (${[...set].map((u) => u ?? "the official one").join(", ")}); metasync sends one provider to one endpoint — run them as separate evals`,
      );
    }
  }
  if (given.length === 0) return sending;
  if (given.length > 1 && sending.baseUrl !== undefined && providers.every((p) => p.baseUrl === undefined)) {
    throw new UsageError(
      "--base-url applies to one provider; this config uses several — set apiBaseUrl per provider",
    );
  }
  const [name, set] = given[0] as [string, Set<string | undefined>];
  const model = providers.find((p) => p.model.provider === name)?.model;
  return { ...sending, baseUrl: [...set][0], model };
}

/** The config's `apiKeyEnvar`: its provider's key read from that variable instead. */
function providerKeyEnv(providers: readonly EvalProvider[], env: Env): Env {
  const chosen = new Map<string, string>();
  for (const provider of providers) {
    if (provider.apiKeyEnv === undefined) continue;
    const earlier = chosen.get(provider.model.provider);
    if (earlier !== undefined && earlier !== provider.apiKeyEnv) {
      throw new UsageError(
        `providers of ${provider.model.provider} name different apiKeyEnvar (${earlier}, ${provider.apiKeyEnv}); give the keys in a --keys file instead`,
      );
    }
    chosen.set(provider.model.provider, provider.apiKeyEnv);
  }
  if (chosen.size === 0) return env;
  const out: Record<string, string | undefined> = { ...env };
  for (const [provider, variable] of chosen) {
    const names = providerInfo(provider)?.keyEnv;
    if (!names) continue;
    out[names.single] = env[variable];
    out[names.list] = undefined;
  }
  return out;
}
