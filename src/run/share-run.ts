import { randomUUID } from "node:crypto";
import { providerBaseUrl } from "../../providers/registry.js";
import type { Coordinator } from "../coordinate/coordinator.js";
import { type SharedRunDescription, WorkQueue } from "../coordinate/work-queue.js";
import type { Clock } from "../core/clock.js";
import type { EventSink } from "../core/events.js";
import type { RunLedger } from "../core/ledger.js";
import { formatModelRef, type Item } from "../core/types.js";
import type { Env } from "../keys/load-keys.js";
import type { StateStore } from "../store/state-store.js";
import { givenBaseUrl } from "./run-identity.js";
import type { RunSettings } from "./run-settings.js";
import { SharedRunLedger } from "./shared-ledger.js";

/** A taker's name in the run's consumer group: its role, machine and process, unique per start. */
export function takerName(role: "owner" | "worker", who: { host: string; pid: number } | undefined): string {
  return `${role}:${who ? `${who.host}:${who.pid}:` : ""}${randomUUID().slice(0, 8)}`;
}

/**
 * Shares a run (`--share`): publishes its pending items that are not in the queue already (a
 * rerun finds those an earlier owner published) and the sending settings workers need, and
 * returns the owner's ledger over the queue.
 */
export async function shareRun(
  coordinator: Coordinator,
  store: StateStore,
  runId: string,
  local: RunLedger,
  settings: RunSettings,
  work: {
    env: Env;
    clock: Clock;
    emit: EventSink;
    signal?: AbortSignal | undefined;
    who?: { host: string; pid: number } | undefined;
  },
): Promise<{ ledger: SharedRunLedger; queue: WorkQueue }> {
  const queue = new WorkQueue(coordinator, runId);
  const outstanding = new Map<number, Item>();
  const reader = store.ledger(runId, { emitted: false });
  for (;;) {
    const page = reader.nextPending(1_000);
    if (page.length === 0) break;
    for (const item of page) outstanding.set(item.index, item);
  }
  const published = await queue.published();
  const models = store.pendingModels(runId);
  const fallbacks = settings.fallbacks.map(formatModelRef);
  const endpoints: Record<string, string> = {};
  for (const provider of new Set([...models, ...fallbacks].map((m) => m.split(":")[0] as string))) {
    const url = providerBaseUrl(provider, givenBaseUrl(settings), work.env);
    if (url !== undefined) endpoints[provider] = url;
  }
  const description: SharedRunDescription = {
    runId,
    maxAttempts: settings.maxAttempts,
    timeoutMs: settings.timeoutMs,
    stream: settings.stream,
    strategy: settings.strategy,
    tpm: settings.tpm,
    rpm: settings.rpm,
    models,
    fallbacks,
    endpoints,
  };
  const fresh = [...outstanding.values()].filter((item) => !published.has(item.index));
  await queue.publish(description, fresh);
  if (published.size > 0) {
    work.emit({
      type: "warning",
      message: `shared run: ${published.size} items were in the queue already (an earlier owner published them); ${fresh.length} more published`,
    });
  }
  const ledger = new SharedRunLedger(queue, local, outstanding, takerName("owner", work.who), {
    clock: work.clock,
    emit: work.emit,
    concurrency: settings.concurrency,
    signal: work.signal,
  });
  return { ledger, queue };
}
