import { type ErrorType, ProviderError } from "../core/errors.js";
import type { EventSink, RunCounts } from "../core/events.js";
import type { RunLedger } from "../core/ledger.js";
import type { BatchCapability, BatchResult, BatchStatus } from "../core/provider.js";
import { formatModelRef, type Item, type ItemResult } from "../core/types.js";
import type { BatchItem, ChunkRecord, ProviderBatchBook } from "../store/provider-batch-book.js";
import { readCustomId } from "./batch-chunks.js";
import { type BatchKey, batchContext } from "./batch-keys.js";

/** Result lines taken at once. */
const COLLECT_PAGE = 10_000;

/** What collecting one batch did: answers and failures recorded, items sent back to the queue. */
export interface Collected {
  ok: number;
  failed: number;
  requeued: number;
}

export interface CollectOptions {
  book: ProviderBatchBook;
  ledger: RunLedger;
  capability: BatchCapability;
  key: BatchKey;
  signal: AbortSignal;
  /** `--max-attempts`: a request failing transiently this many times in batches fails for good. */
  maxAttempts: number;
  /** What an answer cost at the batch price; null when the model has no price. */
  costOf: (model: string, usage: ItemResult["usage"] & object) => number | null;
  now: () => number;
  emit: EventSink;
  counts: RunCounts;
}

function isRetryable(type: string): boolean {
  return new ProviderError("", { type: type as ErrorType }).retryable;
}

function asItem(item: BatchItem): Item {
  return {
    index: item.index,
    id: item.id,
    line: item.line,
    request: item.request,
    ...(item.columns ? { columns: item.columns } : {}),
  };
}

/**
 * Collects an ended batch: its output and error lines, streamed and matched by custom_id (in no
 * order), become results (an answer priced at the batch price, or a permanent failure) or go back to
 * the queue (a transient failure with attempts left, a request the batch never ran). An item is
 * taken only while it is still pending in this chunk, so collecting again after a crash records
 * nothing twice. Then the chunk is settled: what the results did not mention goes back to the queue.
 */
export async function collectChunk(
  chunk: ChunkRecord,
  status: BatchStatus,
  options: CollectOptions,
): Promise<Collected> {
  const { book, ledger, key } = options;
  const collected: Collected = { ok: 0, failed: 0, requeued: 0 };
  const finishedAt = options.now();
  const record = (item: BatchItem, result: ItemResult) => {
    ledger.record(asItem(item), result);
    if (result.status === "ok") {
      collected.ok++;
      options.counts.ok++;
    } else {
      collected.failed++;
      options.counts.failed++;
    }
    options.emit({ type: "item_done", id: item.id, index: item.index, result, scope: key.scope });
  };
  const base = (item: BatchItem, attempts: number) => ({
    id: item.id,
    model: formatModelRef(item.request.model),
    latency_ms: Math.max(0, finishedAt - chunk.createdAt),
    attempts,
    key: key.fingerprint,
    batch_id: status.id,
  });
  const failed = (item: BatchItem, attempts: number, error: ItemResult["error"]): ItemResult => ({
    ...base(item, attempts),
    status: "error",
    output: null,
    usage: null,
    cost_usd: 0,
    finish_reason: null,
    error,
  });

  if (status.state === "failed") {
    // The whole batch was refused. The enqueued-token cap (token_limit_exceeded) only means "later":
    // its items go back to the queue. Anything else (the file failed validation) fails its items.
    if (status.failure?.code !== "token_limit_exceeded") {
      for (const item of book.chunkItems(chunk.nonce)) {
        record(
          item,
          failed(item, item.attempts + 1, {
            type: "bad_request",
            message: `batch ${status.id} failed: ${status.failure?.code ?? "failed"}: ${status.failure?.message ?? ""}`,
          }),
        );
      }
    }
    await ledger.flush();
    collected.requeued = book.settle(
      chunk.nonce,
      status.failure ? `${status.failure.code}: ${status.failure.message}` : undefined,
    );
    return collected;
  }

  /** Items to put back in the queue (index, batch attempts used), written once a page. */
  let requeued: [number, number][] = [];
  const take = (result: BatchResult, named: { nonce: string; index: number } | undefined) => {
    if (!named || named.nonce !== chunk.nonce) return;
    const item = book.item(named.index);
    if (item?.status !== "pending" || item.nonce !== chunk.nonce) return;
    if (result.kind === "answer") {
      const { completion } = result;
      const model = formatModelRef(item.request.model);
      record(item, {
        ...base(item, item.attempts + 1),
        status: "ok",
        output: completion.text,
        usage: completion.usage,
        cost_usd: options.costOf(model, completion.usage),
        finish_reason: completion.finishReason,
        error: null,
        ...(completion.requestId ? { request_id: completion.requestId } : {}),
      });
    } else if (result.kind === "error") {
      const attempts = item.attempts + 1;
      if (isRetryable(result.error.type) && attempts < options.maxAttempts) {
        requeued.push([item.index, attempts]);
        return;
      }
      record(
        item,
        failed(item, attempts, {
          type: result.error.type,
          message: result.error.message,
          ...(result.error.status === undefined ? {} : { status: result.error.status }),
        }),
      );
    } else {
      // Never ran (expired, cancelled): no attempt used.
      requeued.push([item.index, item.attempts]);
    }
  };

  // Lines are taken a page at a time, in one synchronous step, in input order: their results are
  // committed together by the ledger (which reports them, e.g. prints them, only once committed),
  // the items' rows are visited in turn rather than at random, and what goes back to the queue is
  // written in one transaction.
  let page: { result: BatchResult; named: ReturnType<typeof readCustomId> }[] = [];
  const takePage = () => {
    page.sort((a, b) => (a.named?.index ?? -1) - (b.named?.index ?? -1));
    for (const { result, named } of page) take(result, named);
    page = [];
    const back = requeued;
    requeued = [];
    if (back.length === 0) return;
    book.inTransaction(() => {
      for (const [index, attempts] of back) book.requeue(index, attempts);
    });
    collected.requeued += back.length;
  };
  for await (const result of options.capability.results(status.id, batchContext(key, options.signal))) {
    page.push({ result, named: readCustomId(result.customId) });
    if (page.length >= COLLECT_PAGE) takePage();
  }
  takePage();
  await ledger.flush();
  collected.requeued += book.settle(chunk.nonce);
  return collected;
}
