import { InterruptedError, StoppedEarlyError } from "../core/errors.js";
import type { Item, ItemRequest, ItemResult, ModelRef, RequestParams } from "../core/types.js";
import { promptTokensAtMost } from "../cost/rough-prompt-tokens.js";
import { MemoryLedger } from "../engine/memory-ledger.js";
import { RowInterpreter } from "../input/row-to-request.js";
import { compileTemplate } from "../input/template.js";
import type { SendingSession } from "../session/sending-session.js";
import { requestHash } from "../store/request-hash.js";
import type { PromptParts } from "./candidate-guards.js";
import type { DataRow } from "./dataset.js";
import type { Journal, Role } from "./journal.js";
import type { OptimizeJudge } from "./judge.js";
import type { Grade, Scorer } from "./scorer.js";
import type { SpendPlan } from "./spend-plan.js";

/** How a row becomes a request under a candidate's prompt, for task model `model` (an index). */
export type RequestBuilder = (
  parts: PromptParts,
  row: DataRow,
  model: number,
) => ItemRequest | { problem: string };

/**
 * `run`'s rows (a dataset with a recipe): each request built exactly as `run` builds it from the
 * row, so the winner's `best.yaml` sends what was tested.
 */
export function runRequestBuilder(models: readonly ModelRef[], params: RequestParams): RequestBuilder {
  const interpreters = new Map<string, RowInterpreter>();
  return (parts, row, model) => {
    const key = `${model}\u0000${parts.system ?? "\u0001"}\u0000${parts.template}`;
    let interpreter = interpreters.get(key);
    if (!interpreter) {
      interpreter = new RowInterpreter({
        model: models[model],
        template: compileTemplate(parts.template, "template"),
        system: parts.system === undefined ? undefined : compileTemplate(parts.system, "system"),
        params,
      });
      interpreters.set(key, interpreter);
    }
    const built = interpreter.interpret(row.raw);
    return built.ok ? built.request : { problem: built.problem };
  };
}

/** A row of the dataset answered by one of the task models: the unit the scores are kept by. */
export interface Instance {
  row: number;
  model: number;
}

/** One instance answered and graded. */
export interface Rollout extends Grade {
  output: string | null;
}

/** Calls, tokens and dollars of one role, as the optimization used them (each request once). */
export interface RoleCost {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/**
 * Where every request of the optimization goes: built as `run` builds a row's request (so the
 * winner's `best.yaml` sends the same requests), answered from the journal when it was paid for
 * before, else sent through the one sending session (keys, limits, retries, cap) and journaled.
 * It keeps the logical cost by role: each distinct request counted once, in the order the loop
 * first used it — the same figures on a rerun, whatever was paid when.
 */
export class Rollouts {
  private readonly grades = new Map<string, Promise<Grade>>();
  private readonly used = new Set<string>();
  readonly costs: Record<Role, RoleCost> = { task: emptyCost(), proposer: emptyCost(), judge: emptyCost() };
  private session: Promise<SendingSession> | undefined;
  /** The judge of model-graded assertions, when the scorer has any. */
  judge: OptimizeJudge | undefined;

  constructor(
    private readonly rows: readonly DataRow[],
    /** How a row becomes a request under a prompt, for one of the task models. */
    private readonly build: RequestBuilder,
    private readonly scorer: Scorer,
    private readonly journal: Journal,
    readonly plan: SpendPlan,
    private readonly connect: () => Promise<SendingSession>,
    private readonly signal: AbortSignal | undefined,
    private readonly endpoints: Record<string, string[]>,
  ) {}

  /** The request of one instance under a candidate's prompt. */
  request(parts: PromptParts, instance: Instance): ItemRequest | { problem: string } {
    return this.build(parts, this.rows[instance.row] as DataRow, instance.model);
  }

  hash(request: ItemRequest): string {
    const endpoints = this.endpoints[request.model.provider];
    return requestHash(request, endpoints);
  }

  /**
   * The worst case of what answering and grading these requests would still cost (those paid
   * before cost nothing): each task request, and the judge calls of its row's model-graded assertions.
   */
  private worstUsd(requests: readonly { request: ItemRequest; row: DataRow }[]): number {
    const seen = new Set<string>();
    let usd = 0;
    for (const { request, row } of requests) {
      const hash = this.hash(request);
      if (seen.has(hash) || this.journal.get(hash)) continue;
      seen.add(hash);
      usd += this.plan.worstUsd(request) + this.judgeWorstUsd(request, row);
    }
    return usd;
  }

  private judgeWorstUsd(request: ItemRequest, row: DataRow): number {
    return this.judge ? this.judge.worstUsd(this.scorer.test(row), row.vars, request, this.plan) : 0;
  }

  /** The worst case of scoring a candidate on these instances. */
  worstOfInstances(parts: PromptParts, instances: readonly Instance[]): number {
    return this.worstUsd(this.requestsOf(parts, instances));
  }

  /**
   * The worst case of scoring a candidate not known yet on these instances: the source prompt's
   * requests, each with as many more prompt bytes as `--max-prompt-tokens` allows.
   */
  unknownCandidateUsd(source: PromptParts, instances: readonly Instance[], maxPromptBytes: number): number {
    const sourceBytes = Buffer.byteLength(source.template) + Buffer.byteLength(source.system ?? "");
    const extra = Math.max(0, maxPromptBytes - sourceBytes);
    let usd = 0;
    for (const { request, row } of this.requestsOf(source, instances)) {
      usd += this.plan.worstOfBytes(
        request.model,
        promptTokensAtMost(request) + extra,
        request.params.max_tokens,
      );
      // The judge reads the task prompt too: the longer candidate's bytes count there as well.
      usd += this.judgeWorstUsd(
        { ...request, messages: [...request.messages, { role: "system", content: "x".repeat(extra) }] },
        row,
      );
    }
    return usd;
  }

  private requestsOf(
    parts: PromptParts,
    instances: readonly Instance[],
  ): { request: ItemRequest; row: DataRow }[] {
    return instances.flatMap((instance) => {
      const request = this.request(parts, instance);
      return "problem" in request ? [] : [{ request, row: this.rows[instance.row] as DataRow }];
    });
  }

  /** Answers and grades a candidate on instances, in their order. */
  async score(parts: PromptParts, instances: readonly Instance[]): Promise<Rollout[]> {
    const requests = instances.map((instance) => this.request(parts, instance));
    const sendable = requests.filter((r): r is ItemRequest => !("problem" in r));
    const results = await this.answer(sendable, "task");
    const graded: Promise<Rollout>[] = [];
    let at = 0;
    for (const [i, request] of requests.entries()) {
      if ("problem" in request) {
        graded.push(Promise.resolve({ score: 0, pass: false, reason: request.problem, output: null }));
        continue;
      }
      const result = results[at++] as ItemResult;
      const row = this.rows[(instances[i] as Instance).row] as DataRow;
      if (result.status !== "ok" || result.output === null) {
        graded.push(
          Promise.resolve({
            score: 0,
            pass: false,
            reason: `error: ${result.error?.message ?? "no answer"}`,
            output: null,
          }),
        );
        continue;
      }
      graded.push(this.grade(request, result, row).then((grade) => ({ ...grade, output: result.output })));
    }
    const out = await Promise.all(graded);
    // A judge call the session stopped (the cap, no usable key, an interrupt) ends the search:
    // a grade it could not give is never scored as a failure.
    const stopped = this.judge?.grader.stopped;
    if (stopped) throw stopped;
    // The judge calls of this scoring, each counted once, in a fixed order (sorted by hash).
    for (const { hash, result } of this.judge?.takeUsed() ?? []) this.count(hash, "judge", result);
    return out;
  }

  /** Grades one answer once (a rescoring of the same request reuses its grade). */
  private grade(request: ItemRequest, result: ItemResult, row: DataRow): Promise<Grade> {
    const hash = this.hash(request);
    let grade = this.grades.get(hash);
    if (!grade) {
      grade = this.scorer.grade(
        result.output as string,
        row,
        { latencyMs: result.latency_ms, costUsd: result.cost_usd, prompt: promptText(request) },
        this.judge?.rowJudge(this.scorer.test(row)),
      );
      this.grades.set(hash, grade);
    }
    return grade;
  }

  /** The one sending session of the optimization, opened on the first request that must be sent. */
  openSession(): Promise<SendingSession> {
    this.session ??= this.connect();
    return this.session;
  }

  /** The worst case of a proposer call (nothing when it was paid for before). */
  proposalUsd(request: ItemRequest): number {
    return this.journal.get(this.hash(request)) ? 0 : this.plan.worstUsd(request);
  }

  /** One proposer call. */
  async propose(request: ItemRequest): Promise<ItemResult> {
    return (await this.answer([request], "proposer"))[0] as ItemResult;
  }

  /**
   * Answers requests, each distinct one once: from the journal, else sent as one batch through the
   * session. A batch the session stops (no usable key, the cap) or a stop signal ends the search.
   */
  private async answer(requests: readonly ItemRequest[], role: Role): Promise<ItemResult[]> {
    const hashes = requests.map((request) => this.hash(request));
    const missing = new Map<string, ItemRequest>();
    hashes.forEach((hash, i) => {
      if (!this.journal.get(hash) && !missing.has(hash)) missing.set(hash, requests[i] as ItemRequest);
    });
    const failures = new Map<string, ItemResult>();
    if (missing.size > 0) {
      if (this.signal?.aborted) throw new InterruptedError();
      const session = await this.openSession();
      const items: Item[] = [...missing].map(([hash, request], index) => ({
        index,
        id: hash,
        line: 0,
        request,
      }));
      const journal = this.journal;
      const ledger = new (class extends MemoryLedger {
        override record(item: Item, result: ItemResult): void {
          super.record(item, result);
          journal.record(item.id, role, result);
        }
      })(items);
      const outcome = await session.sendBatch({ ledger, total: items.length, signal: this.signal });
      if (outcome.reason === "interrupted") throw new InterruptedError();
      if (outcome.reason === "stopped") {
        throw (
          outcome.stopError ?? new StoppedEarlyError("the session stopped before every request was answered")
        );
      }
      for (const [hash, result] of ledger.results) if (result.status !== "ok") failures.set(hash, result);
    }
    return hashes.map((hash) => {
      const result = this.journal.get(hash) ?? (failures.get(hash) as ItemResult);
      this.count(hash, role, result);
      return result;
    });
  }

  /** Counts a request's cost under its role the first time the optimization uses it. */
  private count(hash: string, role: Role, result: ItemResult): void {
    if (this.used.has(hash)) return;
    this.used.add(hash);
    const cost = this.costs[role];
    cost.calls++;
    cost.input_tokens += result.usage?.input_tokens ?? 0;
    cost.output_tokens += result.usage?.output_tokens ?? 0;
    cost.cost_usd += result.cost_usd ?? 0;
  }

  async close(): Promise<void> {
    (await this.session?.catch(() => undefined))?.close();
  }
}

function emptyCost(): RoleCost {
  return { calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}

/** The task prompt as text: a lone message's content, else the messages as JSON (as eval gives `prompt`). */
function promptText(request: ItemRequest): string {
  const [only, ...more] = request.messages;
  if (only && more.length === 0 && typeof only.content === "string") return only.content;
  return JSON.stringify(request.messages);
}
