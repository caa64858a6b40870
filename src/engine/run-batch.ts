import { setMaxListeners } from "node:events";
import pLimit from "p-limit";
import { type Clock, systemClock } from "../core/clock.js";
import { MetasyncError } from "../core/errors.js";
import type { EndReason, EventSink, RunCounts } from "../core/events.js";
import type { RunLedger } from "../core/ledger.js";
import type { Item } from "../core/types.js";
import { ItemAbandoned, type ItemRunnerOptions, runItem } from "./item-runner.js";

export interface RunBatchOptions {
  ledger: RunLedger;
  /** Items in the run, and how many were done before (for counts and the `start` event). */
  total: number;
  previouslyDone?: number;
  /** How each item is sent: providers, key pool, breakers, fallbacks, attempts, timeout. */
  runner: Omit<ItemRunnerOptions, "clock" | "emit">;
  concurrency: number;
  /** Aborting it stops admitting new work; in-flight requests get `graceMs` to finish, then are abandoned. */
  signal?: AbortSignal | undefined;
  graceMs?: number;
  clock?: Clock;
}

export interface BatchOutcome {
  reason: EndReason;
  /** Why the run stopped early (`stopped`): e.g. no usable key left. */
  stopError?: MetasyncError;
  counts: RunCounts;
  wallMs: number;
}

/**
 * Runs every pending item of a ledger, at most `concurrency` at once, and records each result.
 * An item's failure is recorded as its result; a failure of the run itself (no usable key left)
 * stops admitting work, leaves what was not finished pending, and ends the batch as `stopped`.
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
  const admission = new AbortController();
  const abandon = new AbortController();
  // Every request in flight listens to it.
  setMaxListeners(0, abandon.signal);
  let stopError: MetasyncError | undefined;
  const grace = new AbortController();
  /**
   * Stops admitting work. Requests in flight get `graceMs` to finish before they are cut, or, when
   * the run itself cannot go on (spending cap, no key), all the time they need: they are paid for.
   */
  const stop = (reason: EndReason, message: string, graceMs: number | undefined) => {
    if (admission.signal.aborted) return;
    admission.abort();
    emit({ type: "stopping", reason, message });
    if (graceMs !== undefined) {
      clock.sleep(graceMs, grace.signal).then(
        () => abandon.abort(),
        () => {},
      );
    }
  };
  const onSignal = () =>
    stop("interrupted", "stopping: waiting for requests in flight", options.graceMs ?? 5_000);
  if (options.signal?.aborted) onSignal();
  else options.signal?.addEventListener("abort", onSignal, { once: true });

  const signals = { halt: admission.signal, abandon: abandon.signal };
  setMaxListeners(0, admission.signal);
  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  const runnerOptions: ItemRunnerOptions = { ...options.runner, clock, emit };

  const process = async (item: Item) => {
    if (admission.signal.aborted) return;
    counts.inFlight++;
    try {
      const { result, scope } = await runItem(item, signals, runnerOptions);
      options.ledger.record(item, result);
      if (result.status === "ok") counts.ok++;
      else counts.failed++;
      emit({ type: "item_done", id: item.id, index: item.index, result, ...(scope ? { scope } : {}) });
    } catch (error) {
      if (error instanceof ItemAbandoned) return;
      if (!(error instanceof MetasyncError)) throw error;
      stopError ??= error;
      stop("stopped", error.message, undefined);
    } finally {
      counts.inFlight--;
    }
  };

  emit({ type: "start", total: counts.total, pending: counts.total - counts.previouslyDone, concurrency });
  const pageSize = Math.max(256, concurrency * 4);
  try {
    pages: while (!admission.signal.aborted) {
      const page = await options.ledger.nextPending(pageSize);
      if (page.length === 0) break;
      for (const item of page) {
        while (inFlight.size >= concurrency * 2) await Promise.race(inFlight);
        if (admission.signal.aborted) break pages;
        const task: Promise<void> = limit(() => process(item)).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
  } finally {
    grace.abort();
    options.signal?.removeEventListener("abort", onSignal);
    await options.ledger.flush();
  }
  const elsewhere = options.ledger.sentElsewhere?.();
  if (elsewhere) {
    counts.ok += elsewhere.ok;
    counts.failed += elsewhere.failed;
  }
  const reason: EndReason = stopError ? "stopped" : options.signal?.aborted ? "interrupted" : "completed";
  const wallMs = clock.now() - started;
  emit({ type: "end", reason, counts: { ...counts }, wallMs });
  return { reason, counts, wallMs, ...(stopError ? { stopError } : {}) };
}
