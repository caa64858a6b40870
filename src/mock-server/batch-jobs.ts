import { randomBytes } from "node:crypto";
import { type Answer, type Dialect, echoAnswer, failureForStatus, type ParsedRequest } from "./dialect.js";
import { AttemptCounter, readDirectives } from "./directives.js";

/**
 * Provider batches as the mock server keeps them, for both APIs: the requests, when the batch ends,
 * and (once it has) each request's outcome. A batch ends `batchDelayMs` after it was created; a
 * prompt holding `[[batch:expire]]` makes the first batch holding it expire instead (the first half
 * of its requests answered, the rest never run); `[[fault:500]]` and the like fail that one request (a line of the
 * error file); cancelling before the end leaves every request not run.
 */
export interface BatchRequestLine {
  customId: string;
  /** The request's body (a Chat Completions or Messages body). */
  body: unknown;
  parsed: ParsedRequest;
}

export type LineOutcome =
  | { kind: "answer"; answer: Answer; body: unknown }
  | { kind: "error"; status: number; body: unknown }
  | { kind: "unfinished"; reason: "expired" | "cancelled" };

export interface MockBatchJob {
  id: string;
  dialect: Dialect;
  fingerprint: string;
  model: string;
  requests: BatchRequestLine[];
  createdAt: number;
  endsAt: number;
  /** Tokens it holds in the key's queue while open. */
  tokens: number;
  /** Refused at creation for the enqueued-token limit. */
  refused?: { code: string; message: string };
  cancelRequestedAt?: number;
  endedAt?: number;
  ended?: "completed" | "expired" | "cancelled";
  outcomes?: { customId: string; outcome: LineOutcome }[];
  /** Filled by each API's routes (OpenAI: metadata, file ids). */
  extra: Record<string, unknown>;
}

/** What the server saw of batches: requests submitted, the same custom_id or request twice, usage answered. */
export interface BatchStats {
  batches: number;
  requests: number;
  /** custom_ids submitted more than once, across every batch. */
  duplicateCustomIds: number;
  /** The same request (API, model and prompt) submitted more than once, across every batch. */
  duplicateRequests: number;
  /** Tokens of the answered batch requests (what a provider bills), by `api:model`. */
  usage: Record<string, { input_tokens: number; output_tokens: number; requests: number }>;
}

/** Lines as the chunks of a streamed body: a thousand lines a write, not one. */
export function* lineChunks(lines: Iterable<string>): Generator<string> {
  let chunk: string[] = [];
  for (const line of lines) {
    chunk.push(line, "\n");
    if (chunk.length >= 2000) {
      yield chunk.join("");
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk.join("");
}

export function newBatchId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString("hex")}`;
}

/** Shuffles in place (Fisher–Yates): result files keep no order. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export class BatchJobs {
  private readonly jobs = new Map<string, MockBatchJob>();
  /** Newest first, as both APIs list them. */
  private readonly order: string[] = [];
  private readonly customIds = new Map<string, number>();
  private readonly requestKeys = new Map<string, number>();
  private readonly attempts = new AttemptCounter();
  private readonly usage: BatchStats["usage"] = {};
  private readonly expiredOnce = new Set<string>();

  constructor(
    private readonly options: {
      now: () => number;
      random: () => number;
      delayMs: number;
      queueTokens: number | undefined;
    },
  ) {}

  add(
    job: Omit<MockBatchJob, "createdAt" | "endsAt" | "tokens" | "extra"> & {
      extra?: Record<string, unknown>;
    },
  ): MockBatchJob {
    const now = this.options.now();
    const tokens = job.requests.reduce((sum, line) => sum + echoAnswer(line.parsed, "").inputTokens, 0);
    const created: MockBatchJob = {
      ...job,
      createdAt: now,
      endsAt: now + this.options.delayMs,
      tokens,
      extra: job.extra ?? {},
    };
    for (const line of job.requests) {
      this.customIds.set(line.customId, (this.customIds.get(line.customId) ?? 0) + 1);
      const key = `${job.dialect.name}\u0000${line.parsed.model}\u0000${line.parsed.prompt}`;
      this.requestKeys.set(key, (this.requestKeys.get(key) ?? 0) + 1);
    }
    const limit = this.options.queueTokens;
    if (limit !== undefined && job.dialect.name === "openai") {
      const queued = this.list()
        .filter(
          (other) => other.fingerprint === job.fingerprint && other.model === job.model && this.isOpen(other),
        )
        .reduce((sum, other) => sum + other.tokens, 0);
      if (queued + tokens > limit) {
        created.refused = {
          code: "token_limit_exceeded",
          message: `Enqueued token limit reached for ${job.model} in organization org-mock. Limit: ${limit.toLocaleString("en-US")} enqueued tokens. Please try again once some in_progress batches have been completed.`,
        };
        created.endedAt = now;
      }
    }
    this.jobs.set(created.id, created);
    this.order.unshift(created.id);
    return created;
  }

  get(id: string): MockBatchJob | undefined {
    const job = this.jobs.get(id);
    if (job) this.advance(job);
    return job;
  }

  /** Every batch, newest first, brought up to date. */
  list(): MockBatchJob[] {
    return this.order.map((id) => this.get(id) as MockBatchJob);
  }

  isOpen(job: MockBatchJob): boolean {
    return job.refused === undefined && job.ended === undefined;
  }

  cancel(job: MockBatchJob): void {
    this.advance(job);
    if (this.isOpen(job) && job.cancelRequestedAt === undefined) job.cancelRequestedAt = this.options.now();
  }

  stats(): BatchStats {
    let duplicateCustomIds = 0;
    for (const n of this.customIds.values()) if (n > 1) duplicateCustomIds++;
    let duplicateRequests = 0;
    let requests = 0;
    for (const n of this.requestKeys.values()) {
      requests += n;
      if (n > 1) duplicateRequests++;
    }
    return {
      batches: this.jobs.size,
      requests,
      duplicateCustomIds,
      duplicateRequests,
      usage: structuredClone(this.usage),
    };
  }

  /** Ends a batch whose time has come: a cancellation takes effect at the next look after it was asked. */
  private advance(job: MockBatchJob): void {
    if (!this.isOpen(job)) return;
    const now = this.options.now();
    if (job.cancelRequestedAt !== undefined && now > job.cancelRequestedAt) {
      this.finish(job, "cancelled", now);
      return;
    }
    if (now < job.endsAt) return;
    // The first batch holding a `[[batch:expire]]` prompt expires; the prompt's next batch completes.
    const expiring = job.requests.filter(
      (line) => readDirectives(line.parsed.prompt).batchExpire && !this.expiredOnce.has(line.parsed.prompt),
    );
    for (const line of expiring) this.expiredOnce.add(line.parsed.prompt);
    this.finish(job, expiring.length > 0 ? "expired" : "completed", now);
  }

  private finish(job: MockBatchJob, ended: "completed" | "expired" | "cancelled", now: number): void {
    const created = Math.floor(now / 1000);
    const run =
      ended === "completed"
        ? job.requests.length
        : ended === "expired"
          ? Math.floor(job.requests.length / 2)
          : 0;
    const outcomes = job.requests.map((line, i) => {
      if (i >= run)
        return {
          customId: line.customId,
          outcome: {
            kind: "unfinished",
            reason: ended === "expired" ? "expired" : "cancelled",
          } as LineOutcome,
        };
      return { customId: line.customId, outcome: this.answer(job, line, created) };
    });
    job.outcomes = shuffle(outcomes, this.options.random);
    job.ended = ended;
    job.endedAt = now;
  }

  private answer(job: MockBatchJob, line: BatchRequestLine, created: number): LineOutcome {
    const { dialect } = job;
    const fault = readDirectives(line.parsed.prompt).fault;
    if (
      fault &&
      typeof fault.kind === "number" &&
      this.attempts.strikes(fault, `batch\u0000${dialect.name}\u0000${line.parsed.prompt}`)
    ) {
      const failure = dialect.failure(failureForStatus(fault.kind), {
        model: line.parsed.model,
        status: fault.kind,
        message: `mock fault ${fault.kind}`,
      });
      return { kind: "error", status: failure.status, body: failure.body };
    }
    const answer = echoAnswer(line.parsed, dialect.newId("answer"));
    const model = `${dialect.name}:${line.parsed.model}`;
    const usage = this.usage[model] ?? { input_tokens: 0, output_tokens: 0, requests: 0 };
    this.usage[model] = usage;
    usage.input_tokens += answer.inputTokens;
    usage.output_tokens += answer.outputTokens;
    usage.requests++;
    return { kind: "answer", answer, body: dialect.completionBody(line.parsed, answer, created) };
  }
}
