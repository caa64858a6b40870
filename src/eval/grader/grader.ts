import { MetasyncError } from "../../core/errors.js";
import {
  type ChatMessage,
  formatModelRef,
  type ItemRequest,
  type ItemResult,
  type ModelRef,
  type RequestParams,
} from "../../core/types.js";
import type { SendingSession } from "../../session/sending-session.js";
import { requestHash } from "../../store/request-hash.js";
import type { JudgeCallLog } from "../../store/state-store.js";

/** Where a grader keeps and finds its judge calls' answers (the state database's `eval_judge_calls`). */
export type { JudgeCallLog };

export interface GraderOptions {
  /** The session judge calls are sent through, opened on the first call that must be sent. */
  session: () => Promise<SendingSession>;
  /** Keeps every answer, so a rerun gives every verdict already given without sending again. */
  log?: JudgeCallLog | undefined;
  /** Answer a call from the response cache (an identical call of any run) when it holds one. */
  cache?: boolean;
  /** Where each provider's requests go, when not its official endpoint: part of a call's identity. */
  endpoints?: ((provider: string) => readonly string[] | undefined) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A judge call's result as it is kept: `payer` names the row charged for it (the first to ask), so a
 * rerun that takes the answer from the log charges the same row whatever order rows ask in.
 */
type KeptResult = ItemResult & { payer?: string };

/** A judge's answer, and what it cost the row that pays for it (0 for the others and for cached answers). */
export interface JudgeAnswer {
  text: string;
  costUsd: number;
}

/** A judge call that gave no answer: the provider failed after its retries, or sending stopped. */
export class JudgeError extends Error {
  constructor(
    message: string,
    /** Sending stopped (the spending cap, no usable key, an interrupt): grading cannot go on. */
    readonly stop?: MetasyncError,
  ) {
    super(message);
    this.name = "JudgeError";
  }
}

/** What a grader did, for the summary line. */
export interface GraderCounts {
  /** Calls sent to a provider in this process. */
  sent: number;
  /** Calls answered by an earlier run of this eval or by the response cache. */
  reused: number;
}

/**
 * The judge of model-graded assertions: sends judge calls (a chat for a verdict, an embedding for
 * `similar`) through the eval's `SendingSession` — budgets, key pool, retries, the spending cap —
 * and keeps each answer by the call's hash (model, messages, sample, endpoint). A call made before
 * (by this eval, or, with the cache on, by any run) is never sent again; identical calls in flight at
 * once are sent once. Used by eval's assertions; `optimize` may use it the same way.
 */
export class Grader {
  readonly counts: GraderCounts = { sent: 0, reused: 0 };
  /** Why sending stopped, once it has: every later call that must be sent fails at once with it. */
  stopped: MetasyncError | undefined;
  private readonly inFlight = new Map<string, Promise<KeptResult>>();
  private readonly charged = new Set<string>();
  /** Calls this grader sent or took from the cache: asked again, they are no earlier answer. */
  private readonly answeredHere = new Set<string>();

  constructor(private readonly options: GraderOptions) {}

  /** The judge's reply to a chat. `sample` makes repeats of one call distinct calls (eval's `--repeat`). */
  complete(
    model: ModelRef,
    messages: ChatMessage[],
    sample?: number,
    params: RequestParams = {},
    payer?: string,
  ): Promise<JudgeAnswer> {
    return this.ask({ model, messages, params, ...(sample ? { sample } : {}) }, payer);
  }

  /** The embedding of a text. */
  async embed(model: ModelRef, text: string, payer?: string): Promise<{ vector: number[]; costUsd: number }> {
    const answer = await this.ask(
      { model, messages: [{ role: "user", content: text }], params: {}, kind: "embedding" },
      payer,
    );
    const vector = JSON.parse(answer.text) as unknown;
    if (!Array.isArray(vector) || !vector.every((x) => typeof x === "number")) {
      throw new JudgeError(`${formatModelRef(model)} answered no embedding`);
    }
    return { vector, costUsd: answer.costUsd };
  }

  /**
   * `payer` names the asking row (eval: its index in the plan). A call shared by rows is charged once:
   * to the row kept as its payer, or, when none is kept, to the first row to ask.
   */
  private async ask(request: ItemRequest, payer?: string): Promise<JudgeAnswer> {
    const hash = requestHash(request, this.options.endpoints?.(request.model.provider));
    let pending = this.inFlight.get(hash);
    if (!pending) {
      pending = this.answer(hash, request, payer).finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    const result = await pending;
    if (result.status !== "ok" || result.output === null) {
      const error = result.error ?? { type: "server", message: "no answer" };
      throw new JudgeError(`grader ${formatModelRef(request.model)} failed: ${error.type}: ${error.message}`);
    }
    const pays = !this.charged.has(hash) && (result.payer === undefined || result.payer === payer);
    if (pays) this.charged.add(hash);
    return { text: result.output, costUsd: pays ? (result.cost_usd ?? 0) : 0 };
  }

  private async answer(hash: string, request: ItemRequest, payer: string | undefined): Promise<KeptResult> {
    const { log } = this.options;
    const given = log?.given(hash);
    if (given?.status === "ok") {
      if (!this.answeredHere.has(hash)) this.counts.reused++;
      return given;
    }
    const cached = this.options.cache ? log?.cached(hash) : undefined;
    if (cached) {
      this.counts.reused++;
      const result: KeptResult = { ...cached, cached: true, cost_usd: 0, latency_ms: 0, attempts: 0 };
      log?.save(hash, result);
      this.answeredHere.add(hash);
      return result;
    }
    if (this.stopped) throw new JudgeError(this.stopped.message, this.stopped);
    let result: KeptResult;
    try {
      const session = await this.options.session();
      result = await session.send(request, {
        ...(this.options.signal ? { signal: this.options.signal } : {}),
        id: `judge-${hash.slice(0, 12)}`,
      });
    } catch (error) {
      if (error instanceof MetasyncError) {
        this.stopped ??= error;
        throw new JudgeError(error.message, error);
      }
      throw error;
    }
    this.counts.sent++;
    if (payer !== undefined) result = { ...result, payer };
    log?.save(hash, result);
    this.answeredHere.add(hash);
    return result;
  }
}
