import pLimit from "p-limit";
import type { Provider } from "../../providers/types.js";
import type { Item } from "../types.js";
import { type Clock, systemClock } from "./clock.js";
import type { EndReason, EventSink, RunCounts } from "./events.js";
import { type Credentials, ItemAbandoned, runItem } from "./item-runner.js";
import type { RunLedger } from "./ledger.js";

export interface RunBatchOptions {
  ledger: RunLedger;
  /** Items in the run, and how many were done before (for counts and the `start` event). */
  total: number;
  previouslyDone?: number;
  provider: (name: string) => Promise<Provider>;
  credentials?: (provider: string) => Credentials;
  concurrency: number;
  maxAttempts: number;
  timeoutMs?: number | undefined;
  /** Aborting it stops admitting new work; in-flight requests get `graceMs` to finish, then are abandoned. */
  signal?: AbortSignal | undefined;
  graceMs?: number;
  clock?: Clock;
}

export interface BatchOutcome {
  reason: EndReason;
  counts: RunCounts;
  wallMs: number;
}

/**
 * Runs every pending item of a ledger, at most `concurrency` at once, and records each result.
 * Never throws for an item's failure: that is recorded as the item's result.
 */
export async function runBatch(options: RunBatchOptions, emit: EventSink = () => {}): Promise<BatchOutcome> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const concurrency = Math.max(1, options.concurrency);
  const counts: RunCounts = {
    total: options.total,
    ok: 0,
    failed: 0,
    previouslyDone: options.previouslyDone ?? 0,
    inFlight: 0,
  };
  const abandon = new AbortController();
  const stopping = options.signal;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    emit({ type: "stopping", reason: "interrupted", message: "stopping: waiting for requests in flight" });
    graceTimer = setTimeout(() => abandon.abort(), options.graceMs ?? 5_000);
  };
  if (stopping?.aborted) onStop();
  else stopping?.addEventListener("abort", onStop, { once: true });

  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  const runnerOptions = {
    provider: options.provider,
    credentials: options.credentials ?? (() => ({})),
    maxAttempts: Math.max(1, options.maxAttempts),
    timeoutMs: options.timeoutMs,
    clock,
    emit,
  };

  const process = async (item: Item) => {
    if (stopping?.aborted) return;
    counts.inFlight++;
    try {
      const result = await runItem(item, abandon.signal, runnerOptions);
      options.ledger.record(item, result);
      if (result.status === "ok") counts.ok++;
      else counts.failed++;
      emit({ type: "item_done", id: item.id, index: item.index, result });
    } catch (error) {
      if (!(error instanceof ItemAbandoned)) throw error;
    } finally {
      counts.inFlight--;
    }
  };

  emit({ type: "start", total: counts.total, pending: counts.total - counts.previouslyDone, concurrency });
  const pageSize = Math.max(256, concurrency * 4);
  try {
    admission: while (!stopping?.aborted) {
      const page = await options.ledger.nextPending(pageSize);
      if (page.length === 0) break;
      for (const item of page) {
        while (inFlight.size >= concurrency * 2) await Promise.race(inFlight);
        if (stopping?.aborted) break admission;
        const task: Promise<void> = limit(() => process(item)).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
  } finally {
    clearTimeout(graceTimer);
    stopping?.removeEventListener("abort", onStop);
    await options.ledger.flush();
  }
  const reason: EndReason = stopping?.aborted ? "interrupted" : "completed";
  const wallMs = clock.now() - started;
  emit({ type: "end", reason, counts: { ...counts }, wallMs });
  return { reason, counts, wallMs };
}
