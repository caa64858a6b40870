import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";
import { type MetasyncError, ProviderError, StoppedEarlyError, UsageError } from "../core/errors.js";
import type { EndReason, EventSink, RunCounts } from "../core/events.js";
import { formatNumber } from "../core/format/number.js";
import { formatUsd } from "../core/format/usd.js";
import type { RunLedger } from "../core/ledger.js";
import { type BatchCapability, type BatchStatus, FINAL_BATCH_STATES } from "../core/provider.js";
import type { Usage } from "../core/types.js";
import { usageCost } from "../cost/item-cost.js";
import type { PriceTable } from "../cost/price-table.js";
import { SpendingCap } from "../engine/spending-cap.js";
import type { BatchSpending, SendingSession } from "../session/sending-session.js";
import type { ChunkRecord, ProviderBatchBook } from "../store/provider-batch-book.js";
import { cutChunks, type ReadyChunk, removeFile, rewriteChunk } from "./batch-chunks.js";
import { collectChunk } from "./batch-collect.js";
import { type BatchKey, type BatchKeys, batchContext } from "./batch-keys.js";
import { type BatchModeSettings, MAX_POLL_MS } from "./batch-mode.js";

export interface ProviderBatchesOptions {
  book: ProviderBatchBook;
  ledger: RunLedger;
  session: SendingSession;
  keys: BatchKeys;
  prices: PriceTable;
  settings: BatchModeSettings;
  total: number;
  previouslyDone: number;
  signal?: AbortSignal | undefined;
  clock: Clock;
  emit: EventSink;
  /**
   * Only collect what has ended, submit nothing, and emit no start or end (`--via live` after batch
   * mode: what came back is then sent live).
   */
  collectOnly?: boolean;
  /**
   * `--max-cost`: the cap and a request's worst case at the batch price (`session.batchSpending()`),
   * and what the run's results cost so far (read again each pass: collected results count at their
   * real cost).
   */
  spending?: (BatchSpending & { spentUsd: () => number }) | undefined;
}

export interface ProviderBatchesOutcome {
  reason: EndReason;
  stopError?: MetasyncError;
  counts: RunCounts;
  wallMs: number;
  /** Items still at a provider (or waiting to be submitted) when this call returned. */
  pending: number;
}

/** States in which a batch is at the provider, still working. */
function isOpen(chunk: ChunkRecord): boolean {
  return chunk.status !== "settled" && chunk.status !== "recorded" && !FINAL_BATCH_STATES.has(chunk.status);
}

/**
 * Sends a run's pending items through the providers' batch APIs: chunks are recorded with their
 * nonce before any call, submitted, polled (30 s at first, doubling to 5 min) and collected as each
 * ends; items that come back (expired, cancelled, transient failures) go into the next chunk. With
 * `detach` one pass is made: submit, collect what has ended, return.
 */
export async function sendViaProviderBatches(
  options: ProviderBatchesOptions,
): Promise<ProviderBatchesOutcome> {
  const { book, keys, settings, clock, emit } = options;
  const started = clock.now();
  const counts: RunCounts = {
    total: options.total,
    ok: 0,
    failed: 0,
    previouslyDone: options.previouslyDone,
    inFlight: 0,
  };
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const dir = mkdtempSync(join(tmpdir(), "metasync-batch-"));
  /** Scope and model refused for the enqueued-token cap, until when. */
  const refused = new Map<string, number>();
  const capabilities = new Map<string, BatchCapability>();
  const capabilityOf = async (provider: string): Promise<BatchCapability> => {
    let capability = capabilities.get(provider);
    if (!capability) {
      capability = (await options.session.provider(provider)).batch;
      if (!capability) throw new UsageError(`--via batch: ${provider} has no batch API; use --via live`);
      capabilities.set(provider, capability);
    }
    return capability;
  };
  const costOf = (model: string, usage: Usage) =>
    usageCost(options.prices, model, usage, { batch: true }) ?? null;
  const collectOptions = (capability: BatchCapability, key: BatchKey) => ({
    book,
    ledger: options.ledger,
    capability,
    key,
    signal: stop.signal,
    maxAttempts: settings.maxAttempts,
    costOf,
    now: () => clock.now(),
    emit,
    counts,
  });

  if (!options.collectOnly) {
    emit({
      type: "start",
      total: counts.total,
      pending: counts.total - counts.previouslyDone,
      concurrency: 1,
    });
  }

  /** Submits a recorded chunk: never blindly again — a chunk whose create may have happened is looked for first. */
  const submit = async (capability: BatchCapability, chunk: ReadyChunk, lookFirst: boolean) => {
    const context = batchContext(chunk.key, stop.signal);
    try {
      if (lookFirst) {
        const record = book.chunk(chunk.nonce);
        const found = await capability.find(
          {
            nonce: chunk.nonce,
            requests: chunk.size,
            since: record?.createdAt ?? 0,
            known: book.knownBatchIds(),
          },
          context,
        );
        if (found) {
          book.update(chunk.nonce, found);
          emit({
            type: "notice",
            message: `adopted ${chunk.key.provider} batch ${found.id}, created before this process recorded it`,
          });
          return;
        }
      }
      const status = await capability.submit(
        { nonce: chunk.nonce, model: chunk.model, path: chunk.path, requests: chunk.size },
        context,
      );
      book.update(chunk.nonce, status);
    } catch (error) {
      if (stop.signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      book.noteError(chunk.nonce, message);
      // The create call may or may not have happened: the next pass looks for the batch first.
      if (error instanceof ProviderError && error.retryable) {
        emit({
          type: "warning",
          message: `submitting a ${chunk.key.provider} batch failed (${message}); it is looked for and tried again`,
        });
        return;
      }
      throw new StoppedEarlyError(`submitting a ${chunk.key.provider} batch failed: ${message}`, {
        cause: error,
      });
    } finally {
      removeFile(chunk.path);
    }
  };

  /** Estimated prompt tokens in unsettled batches, by scope and model (read once a pass, then kept up to date). */
  let enqueuedTokens = new Map<string, number>();
  const enqueued = (scope: string, model: string) => enqueuedTokens.get(`${scope}\u0000${model}`) ?? 0;
  const countEnqueued = () => {
    enqueuedTokens = new Map();
    for (const chunk of book.chunks()) {
      if (chunk.status === "settled") continue;
      const group = `${chunk.scope}\u0000${chunk.model}`;
      enqueuedTokens.set(group, (enqueuedTokens.get(group) ?? 0) + chunk.tokens);
    }
  };

  /**
   * `--max-cost`: each pass's cutting starts from what the database says — the results' real cost
   * and what items in open batches still hold — and each item reserves its worst case at the batch
   * price before it goes into a chunk. `capStop` is the refusal of the last pass that hit the cap.
   */
  let capStop: StoppedEarlyError | undefined;
  const admission = () => {
    const { spending } = options;
    if (!spending) return undefined;
    const cap = new SpendingCap(spending.capUsd, spending.spentUsd(), book.reservedUsd());
    return (item: Parameters<typeof spending.worstCaseUsd>[0]) => {
      try {
        return cap.reserve(spending.worstCaseUsd(item)).usd;
      } catch (error) {
        if (!(error instanceof StoppedEarlyError)) throw error;
        capStop = error;
        return undefined;
      }
    };
  };

  /** One pass: settle what is recorded, poll and collect what is open, submit what is free. Says whether anything changed. */
  const pass = async (): Promise<boolean> => {
    let changed = false;
    for (const chunk of book.chunks()) {
      if (stop.signal.aborted) return changed;
      if (chunk.status === "settled") continue;
      const capability = await capabilityOf(chunk.provider);
      const key = keys.forScope(chunk.provider, chunk.scope, chunk.keyFingerprint);
      if (chunk.status === "recorded" || chunk.batchId === null) {
        const path = rewriteChunk(book, capability, chunk.nonce, dir);
        await submit(
          capability,
          { nonce: chunk.nonce, model: chunk.model, path, size: chunk.size, tokens: chunk.tokens, key },
          true,
        );
        changed = true;
        continue;
      }
      let status: BatchStatus;
      try {
        status = await capability.poll(chunk.batchId, batchContext(key, stop.signal));
      } catch (error) {
        if (stop.signal.aborted) return changed;
        if (error instanceof ProviderError && error.retryable) {
          emit({
            type: "warning",
            message: `polling batch ${chunk.batchId} failed (${error.message}); polled again later`,
          });
          continue;
        }
        throw new StoppedEarlyError(`polling batch ${chunk.batchId} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (status.state !== chunk.status || status.counts.succeeded !== chunk.succeeded) changed = true;
      book.update(chunk.nonce, status);
      if (!FINAL_BATCH_STATES.has(status.state)) continue;
      if (status.failure?.code === "token_limit_exceeded") {
        refused.set(`${chunk.scope}\u0000${chunk.model}`, clock.now() + settings.pollIntervalMs);
        emit({
          type: "warning",
          message: `batch ${status.id} was refused for ${chunk.provider}'s enqueued-token limit; its ${chunk.size} requests are submitted again once earlier batches end`,
        });
      }
      const collected = await collectChunk(
        book.chunk(chunk.nonce) ?? chunk,
        status,
        collectOptions(capability, key),
      );
      if (stop.signal.aborted) return true;
      emit({
        type: "notice",
        message: `batch ${status.id} ${status.state}: ${collected.ok} answered, ${collected.failed} failed, ${collected.requeued} back in the queue`,
      });
      changed = true;
    }
    if (options.collectOnly) return changed;
    countEnqueued();
    capStop = undefined;
    const admit = admission();
    for (const provider of book.freeProviders()) {
      if (stop.signal.aborted || capStop) return changed;
      const capability = await capabilityOf(provider);
      const now = clock.now();
      await cutChunks(
        book,
        provider,
        capability,
        (model) => {
          const key = keys.nextScope(provider);
          const until = refused.get(`${key.scope}\u0000${model}`);
          return until !== undefined && until > now ? undefined : key;
        },
        {
          requests: settings.batchSize ?? capability.limits.requests,
          bytes: capability.limits.bytes,
          queueTokens: provider === "openai" ? settings.queueTokens : undefined,
        },
        enqueued,
        dir,
        async (chunk) => {
          changed = true;
          const group = `${chunk.key.scope}\u0000${chunk.model}`;
          enqueuedTokens.set(group, (enqueuedTokens.get(group) ?? 0) + chunk.tokens);
          await submit(capability, chunk, false);
          const record = book.chunk(chunk.nonce);
          emit({
            type: "notice",
            message: `submitted ${chunk.size} requests to ${provider} as batch ${record?.batchId ?? "(not confirmed yet)"}`,
          });
        },
        admit,
      );
    }
    return changed;
  };

  let stopError: MetasyncError | undefined;
  let wait = settings.pollIntervalMs;
  let capNoted = false;
  try {
    if (options.spending && !options.collectOnly) holdUnreserved(book, options.spending.worstCaseUsd);
    for (;;) {
      if (await pass()) wait = settings.pollIntervalMs;
      if (stop.signal.aborted) break;
      const unsettled = book.chunks().some((chunk) => chunk.status !== "settled");
      if (!unsettled && book.freeProviders().length === 0) break;
      if (capStop) {
        // Nothing at the provider and the next item does not fit: the same stop as a live run's.
        if (!unsettled) throw capStop;
        // Open batches hold reservations: when they end, their real cost may leave room.
        if (!capNoted) {
          capNoted = true;
          emit({
            type: "notice",
            message: `--max-cost $${formatNumber(options.spending?.capUsd ?? 0)}: ${formatUsd(options.spending?.spentUsd() ?? 0)} spent, ${formatUsd(book.reservedUsd())} held by open batches; the rest waits for open batches to end, and goes as their real cost leaves room`,
          });
        }
      }
      if (settings.detach || options.collectOnly) break;
      try {
        await clock.sleep(wait, stop.signal);
      } catch {
        break;
      }
      wait = Math.min(wait * 2, Math.max(MAX_POLL_MS, settings.pollIntervalMs));
    }
  } catch (error) {
    if (!(error instanceof StoppedEarlyError)) throw error;
    stopError = error;
    // Said as a live run says its stop (the spending cap, a batch that cannot be submitted).
    emit({ type: "stopping", reason: "stopped", message: error.message });
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await options.ledger.flush();
    rmSync(dir, { recursive: true, force: true });
  }
  const reason: EndReason = stopError ? "stopped" : options.signal?.aborted ? "interrupted" : "completed";
  const wallMs = clock.now() - started;
  if (!options.collectOnly) emit({ type: "end", reason, counts: { ...counts }, wallMs });
  const pending = counts.total - counts.previouslyDone - counts.ok - counts.failed;
  return { reason, counts, wallMs, pending, ...(stopError ? { stopError } : {}) };
}

/**
 * Items in batches submitted without `--max-cost` hold nothing against the cap: from the first call
 * with one, they hold their worst case at the batch price like the others (written a page at a time).
 */
export function holdUnreserved(book: ProviderBatchBook, worstCaseUsd: BatchSpending["worstCaseUsd"]): void {
  let page: [number, number][] = [];
  const flush = () => {
    book.reserve(page);
    page = [];
  };
  for (const item of book.unreservedItems()) {
    page.push([item.index, worstCaseUsd(item)]);
    if (page.length >= 1_000) flush();
  }
  flush();
}

/** Whether a run's item counts leave work at a provider. */
export function stillAtProvider(book: ProviderBatchBook): boolean {
  return book.chunks().some((chunk) => isOpen(chunk) || chunk.status === "recorded");
}
