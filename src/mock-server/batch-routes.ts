import type { IncomingMessage, ServerResponse } from "node:http";
import { AnthropicBatches } from "./anthropic-batches.js";
import { anthropicDialect } from "./anthropic-dialect.js";
import { BatchJobs, type BatchStats } from "./batch-jobs.js";
import { sendJson } from "./http-io.js";
import { OpenAIBatches } from "./openai-batches.js";
import { openaiDialect } from "./openai-dialect.js";
import type { ResolvedOptions } from "./options.js";
import type { RequestTrace } from "./request-handler.js";
import { keyFingerprint } from "./stats.js";

export const BATCH_STATS_PATH = "/_metasync/batches";

/** The paths of the two batch APIs (under any prefix, as the SDKs send them). */
const BATCH_PATH =
  /\/(?:files|batches)(?:\/[^/]+(?:\/(?:content|cancel))?)?$|\/messages\/batches(?:\/[^/]+(?:\/(?:cancel|results))?)?$/;

/**
 * Both providers' batch APIs (OpenAI's Files + Batches, Anthropic's Message Batches) over one store
 * of batches; `GET /_metasync/batches` says what was submitted (duplicates included) and billed.
 */
export class MockBatchRoutes {
  readonly jobs: BatchJobs;
  private readonly openai: OpenAIBatches;
  private readonly anthropic: AnthropicBatches;

  constructor(private readonly options: ResolvedOptions) {
    this.jobs = new BatchJobs({
      now: options.now,
      random: options.random,
      delayMs: options.batchDelayMs,
      queueTokens: options.batchQueueTokens,
    });
    this.openai = new OpenAIBatches(this.jobs, options.now);
    this.anthropic = new AnthropicBatches(this.jobs);
  }

  stats(): BatchStats {
    return this.jobs.stats();
  }

  /** Whether `path` is one of the batch APIs' (or the batch stats). */
  serves(path: string): boolean {
    return path === BATCH_STATS_PATH || BATCH_PATH.test(path);
  }

  /** Answers a batch API request; false when the path is not one. */
  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    trace: RequestTrace,
  ): Promise<boolean> {
    if (request.method === "GET" && path === BATCH_STATS_PATH) {
      sendJson(response, 200, {}, this.stats());
      return true;
    }
    if (!BATCH_PATH.test(path)) return false;
    const anthropic = path.includes("/messages/batches");
    const dialect = anthropic ? anthropicDialect : openaiDialect;
    const key = dialect.keyOf(request.headers);
    trace.fingerprint = keyFingerprint(key);
    if (key === undefined || this.options.invalidKeys.has(key)) {
      const { status, body } = dialect.failure("invalid_key", { model: "" });
      request.resume();
      sendJson(response, status, {}, body);
      return true;
    }
    const creates = request.method === "POST" && /\/(?:batches|messages\/batches)$/.test(path);
    const routes = anthropic ? this.anthropic : this.openai;
    if (!creates || this.options.batchCreateDelayMs <= 0) {
      return routes.handle(request, response, path, trace.fingerprint);
    }
    // The batch exists as soon as the request is in; its answer comes later (a client that dies
    // meanwhile never hears of it, and must find it again).
    const held = new HeldResponse(response);
    const handled = await routes.handle(request, held.proxy, path, trace.fingerprint);
    setTimeout(() => held.release(), this.options.batchCreateDelayMs);
    return handled;
  }
}

/** A response whose writing is held back until `release`. */
class HeldResponse {
  private readonly calls: (() => void)[] = [];
  readonly proxy: ServerResponse;

  constructor(private readonly response: ServerResponse) {
    this.proxy = new Proxy(response, {
      get: (target, name, receiver) => {
        if (name === "writeHead" || name === "end" || name === "write") {
          return (...args: unknown[]) => {
            this.calls.push(() => (target[name] as (...a: unknown[]) => unknown).apply(target, args));
            return receiver;
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  release(): void {
    if (this.response.destroyed) return;
    for (const call of this.calls) call();
  }
}
