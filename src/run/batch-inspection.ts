import { ExitCode } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import { alignedTable } from "../core/format/table.js";
import { FINAL_BATCH_STATES } from "../core/provider.js";
import { usageCost } from "../cost/item-cost.js";
import { loadPriceTable } from "../cost/price-table.js";
import type { Env, KeySpec } from "../keys/load-keys.js";
import { providerLoader } from "../session/provider-loader.js";
import type { ChunkRecord, ProviderBatchBook } from "../store/provider-batch-book.js";
import type { StateStore } from "../store/state-store.js";
import { requireRun, withStore } from "../store/stored-run.js";
import { collectChunk } from "./batch-collect.js";
import { BatchKeys, batchContext } from "./batch-keys.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A chunk as `batches` and `status` show it. */
function chunkView(runId: string, chunk: ChunkRecord) {
  return {
    run_id: runId,
    batch_id: chunk.batchId,
    nonce: chunk.nonce,
    provider: chunk.provider,
    model: chunk.model,
    status: chunk.status,
    requests: chunk.size,
    succeeded: chunk.succeeded,
    failed: chunk.failed,
    created_at: iso(chunk.createdAt),
    expires_at: iso(chunk.expiresAt),
    error: chunk.error,
  };
}

/** Batch progress of a run, for `status`: batches by state and items at the provider; undefined for a run that used none. */
export function batchProgress(store: StateStore, runId: string) {
  const book = store.providerBatches(runId);
  const chunks = book.chunks();
  if (chunks.length === 0) return undefined;
  const open = chunks.filter((c) => c.status !== "settled" && !FINAL_BATCH_STATES.has(c.status as never));
  return {
    batches: chunks.length,
    open: open.length,
    at_provider: book.atProvider(),
    answered_in_open: open.reduce((sum, c) => sum + c.succeeded + c.failed, 0),
    next_expiry: iso(
      open.reduce<number | null>(
        (min, c) => (c.expiresAt !== null && (min === null || c.expiresAt < min) ? c.expiresAt : min),
        null,
      ),
    ),
  };
}

/** The text line `status` prints for a run's batches. */
export function batchProgressLine(progress: NonNullable<ReturnType<typeof batchProgress>>): string {
  if (progress.open === 0 && progress.at_provider === 0) {
    return `batches   ${progress.batches} provider batches, all collected`;
  }
  const expiry = progress.next_expiry ? ` · first expires ${progress.next_expiry}` : "";
  return `batches   ${progress.batches} (${progress.open} open) · ${progress.at_provider} items at the provider · ${progress.answered_in_open} of them answered so far${expiry}`;
}

/** `metasync batches [run]`: provider batches of one run, or of every run, newest last. */
export function listBatches(path: string, ref: string | undefined, json: boolean): Promise<string> {
  return withStore(path, (store) => {
    const runs = ref === undefined ? store.listRuns().reverse() : [requireRun(store, ref)];
    const views = runs.flatMap((run) =>
      store
        .providerBatches(run.id)
        .chunks()
        .map((chunk) => chunkView(run.id, chunk)),
    );
    if (json) return `${JSON.stringify(views, null, 2)}\n`;
    if (views.length === 0)
      return ref === undefined ? "no provider batches yet\n" : `run ${runs[0]?.id} has no provider batches\n`;
    const rows = views.map((v) => [
      v.batch_id ?? `(nonce ${v.nonce})`,
      v.provider,
      v.model,
      v.status,
      `${v.succeeded + v.failed}/${v.requests}`,
      String(v.failed),
      v.created_at?.replace("T", " ").slice(0, 19) ?? "",
      v.expires_at?.replace("T", " ").slice(0, 19) ?? "",
      ...(ref === undefined ? [v.run_id] : []),
    ]);
    const header = [
      "BATCH",
      "PROVIDER",
      "MODEL",
      "STATUS",
      "DONE",
      "FAILED",
      "CREATED",
      "EXPIRES",
      ...(ref === undefined ? ["RUN"] : []),
    ];
    return `${alignedTable([header, ...rows]).join("\n")}\n`;
  });
}

export interface CancelOptions {
  env: Env;
  keySpecs: readonly KeySpec[];
  baseUrl: string | undefined;
  signal: AbortSignal;
  emit: EventSink;
}

/**
 * `metasync cancel <run>`: asks the provider to cancel each open batch of the run, then collects
 * every batch that has ended by now: what they finished is kept, what they did not goes back to the
 * queue (the next `run`, live or batch, sends it). A batch still cancelling is collected by the next
 * `run … --via batch`.
 */
export function cancelRun(
  path: string,
  ref: string,
  options: CancelOptions,
): Promise<{ text: string; exitCode: number }> {
  return withStore(path, async (store) => {
    const run = requireRun(store, ref);
    const book: ProviderBatchBook = store.providerBatches(run.id);
    const chunks = book.chunks().filter((c) => c.status !== "settled");
    if (chunks.length === 0)
      return { text: `run ${run.id} has no open provider batches\n`, exitCode: ExitCode.ok };
    const model = typeof run.options.model === "string" ? run.options.model : undefined;
    const baseUrl =
      options.baseUrl !== undefined && model
        ? { provider: model.split(":")[0] ?? "", url: options.baseUrl }
        : undefined;
    const keys = new BatchKeys(
      [...new Set(chunks.map((c) => c.provider))],
      options.keySpecs,
      options.env,
      baseUrl,
    );
    const provider = providerLoader();
    const prices = loadPriceTable();
    const ledger = store.ledger(run.id, { emitted: false });
    const lines: string[] = [];
    for (const chunk of chunks) {
      const capability = (await provider(chunk.provider)).batch;
      if (!capability) continue;
      const key = keys.forScope(chunk.provider, chunk.scope, chunk.keyFingerprint);
      const context = batchContext(key, options.signal);
      if (chunk.batchId === null) {
        // Never confirmed: if the provider has it, adopt it to cancel it; else its items go back.
        const found = await capability.find(
          { nonce: chunk.nonce, requests: chunk.size, since: chunk.createdAt, known: book.knownBatchIds() },
          context,
        );
        if (!found) {
          const back = book.settle(chunk.nonce, "cancelled before it was submitted");
          lines.push(`(nonce ${chunk.nonce}): never submitted; ${back} items back in the queue`);
          continue;
        }
        book.update(chunk.nonce, found);
        chunk.batchId = found.id;
      }
      let status = await capability.poll(chunk.batchId, context);
      if (!FINAL_BATCH_STATES.has(status.state)) status = await capability.cancel(chunk.batchId, context);
      if (!FINAL_BATCH_STATES.has(status.state)) status = await capability.poll(chunk.batchId, context);
      book.update(chunk.nonce, status);
      if (!FINAL_BATCH_STATES.has(status.state)) {
        lines.push(`${status.id}: ${status.state}; the next run --via batch collects what it finished`);
        continue;
      }
      const collected = await collectChunk(book.chunk(chunk.nonce) ?? chunk, status, {
        book,
        ledger,
        capability,
        key,
        signal: options.signal,
        maxAttempts: Number.POSITIVE_INFINITY,
        costOf: (m, usage) => usageCost(prices, m, usage, { batch: true }) ?? null,
        now: Date.now,
        emit: options.emit,
        counts: { total: 0, ok: 0, failed: 0, previouslyDone: 0, inFlight: 0 },
      });
      lines.push(
        `${status.id}: ${status.state}; ${collected.ok} answered and kept, ${collected.failed} failed, ${collected.requeued} back in the queue`,
      );
    }
    await ledger.flush();
    return { text: `${lines.join("\n")}\n`, exitCode: ExitCode.ok };
  });
}
