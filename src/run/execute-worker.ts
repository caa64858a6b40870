import { resolveModel } from "../../providers/model-ref.js";
import { providerInfo } from "../../providers/registry.js";
import { Coordinator } from "../coordinate/coordinator.js";
import type { CoordinatorAddress } from "../coordinate/coordinator-url.js";
import { type SharedRunDescription, sharedRuns, WorkQueue } from "../coordinate/work-queue.js";
import type { Clock } from "../core/clock.js";
import { ExitCode } from "../core/errors.js";
import type { EventSink } from "../core/events.js";
import type { ModelRef } from "../core/types.js";
import { loadPriceTable } from "../cost/price-table.js";
import type { Strategy } from "../keys/key-strategy.js";
import type { Env, KeySpec } from "../keys/load-keys.js";
import { SendingSession } from "../session/sending-session.js";
import { takerName } from "./share-run.js";
import { WorkerLedger } from "./worker-ledger.js";

/** `metasync worker`'s settings, checked. */
export interface WorkerSettings {
  coordinator: { address: CoordinatorAddress; timeoutMs: number };
  concurrency: number;
  keysFile?: string | undefined;
  keySpecs?: readonly KeySpec[] | undefined;
  /** `--base-url`: the endpoint for the provider of the run's models, instead of the one the run names. */
  baseUrl?: string | undefined;
  /** `--run`: only this shared run. */
  runId?: string | undefined;
  /** `--once`: exit when the first run worked on is finished. */
  once: boolean;
}

/** How long after its owner's last heartbeat a shared run is still worked on. */
const OWNER_ALIVE_MS = 60_000;
const IDLE_LOOK_MS = 1_000;

/** What a worker runs with: the environment, the clock, where events go, its stop signal, and who it is. */
interface WorkerContext {
  env: Env;
  clock: Clock;
  emit: EventSink;
  signal: AbortSignal;
  who?: { host: string; pid: number } | undefined;
}

/**
 * A worker (`metasync worker`): takes items of the shared runs in Redis, sends them with its own
 * keys through a sending session (limits shared through the same coordinator), and sends each
 * result back to the run's owner. Works one run at a time until stopped (or, with `once`, until
 * its first run is finished). Returns the exit code.
 */
export async function executeWorker(settings: WorkerSettings, context: WorkerContext): Promise<number> {
  const { clock, emit, signal } = context;
  const coordinator = Coordinator.create(settings.coordinator.address, {
    timeoutMs: settings.coordinator.timeoutMs,
    clock,
    emit,
  });
  try {
    await coordinator.connected();
    let waiting = false;
    while (!signal.aborted) {
      const runs = (await sharedRuns(coordinator, OWNER_ALIVE_MS)).filter(
        (id) => settings.runId === undefined || id === settings.runId,
      );
      const queue = runs[0] === undefined ? undefined : new WorkQueue(coordinator, runs[0]);
      const description = await queue?.description();
      if (!queue || !description) {
        if (!waiting) {
          emit({
            type: "warning",
            message: `waiting for a shared run${settings.runId ? ` (${settings.runId})` : ""} on ${coordinator.address.shown}`,
          });
          waiting = true;
        }
        await clock.sleep(IDLE_LOOK_MS, signal).catch(() => {});
        continue;
      }
      waiting = false;
      emit({ type: "warning", message: `taking items of shared run ${description.runId}` });
      const code = await workOn(queue, description, settings, context);
      if (code !== ExitCode.ok || settings.once) return code;
    }
    return ExitCode.interrupted;
  } finally {
    await coordinator.close();
  }
}

async function workOn(
  queue: WorkQueue,
  description: SharedRunDescription,
  settings: WorkerSettings,
  context: WorkerContext,
): Promise<number> {
  const models = description.models.flatMap(modelRef);
  const provider = models[0]?.provider;
  const session = await SendingSession.open({
    models,
    fallbacks: description.fallbacks.flatMap(modelRef),
    keysFile: settings.keysFile,
    keySpecs: settings.keySpecs,
    strategy: description.strategy as Strategy,
    tpm: description.tpm,
    rpm: description.rpm,
    baseUrl: settings.baseUrl !== undefined && provider ? { provider, url: settings.baseUrl } : undefined,
    prices: loadPriceTable(),
    maxAttempts: description.maxAttempts,
    timeoutMs: description.timeoutMs,
    stream: description.stream,
    concurrency: settings.concurrency,
    env: withEndpoints(context.env, description.endpoints),
    clock: context.clock,
    emit: context.emit,
    coordinator: settings.coordinator,
  });
  try {
    const ledger = new WorkerLedger(queue, takerName("worker", context.who), {
      clock: context.clock,
      concurrency: settings.concurrency,
      signal: context.signal,
    });
    const outcome = await session.sendBatch({ ledger, total: 0, signal: context.signal });
    if (outcome.reason === "stopped") return ExitCode.stoppedEarly;
    if (outcome.reason === "interrupted") return ExitCode.interrupted;
    return ExitCode.ok;
  } finally {
    session.close();
  }
}

function modelRef(text: string): ModelRef[] {
  const resolved = resolveModel(text);
  return resolved.ok ? [resolved.ref] : [];
}

/** The worker's environment with the endpoints the run names (a key's own base_url still wins). */
function withEndpoints(env: Env, endpoints: Record<string, string>): Env {
  const withThem: Record<string, string | undefined> = { ...env };
  for (const [provider, url] of Object.entries(endpoints)) {
    const variable = providerInfo(provider)?.baseUrlEnv;
    if (variable) withThem[variable] = url;
  }
  return withThem;
}
