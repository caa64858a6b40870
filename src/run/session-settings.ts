import type { Clock } from "../core/clock.js";
import type { EventSink } from "../core/events.js";
import type { ModelRef } from "../core/types.js";
import type { PriceTable } from "../cost/price-table.js";
import type { Env } from "../keys/load-keys.js";
import type { SessionSettings } from "../session/sending-session.js";
import { givenBaseUrl } from "./run-identity.js";
import type { RunSettings } from "./run-settings.js";

/**
 * The sending session a command's settings ask for (run's, and eval's sending half): `models` are
 * those of the work still pending; with nothing pending no key, fallback or key file is needed.
 */
export function sessionSettings(
  settings: RunSettings,
  work: {
    models: readonly ModelRef[];
    pending: boolean;
    prices: PriceTable;
    spentBeforeUsd: number;
    /** What the run's open provider batches hold against `--max-cost`. */
    reservedBeforeUsd?: number;
    env: Env;
    clock: Clock;
    emit: EventSink;
    fetch?: typeof fetch | undefined;
  },
): SessionSettings {
  const { pending } = work;
  return {
    models: work.models,
    fallbacks: pending ? settings.fallbacks : [],
    keysFile: pending ? settings.keysFile : undefined,
    keySpecs: pending ? settings.keySpecs : undefined,
    strategy: settings.strategy,
    tpm: settings.tpm,
    rpm: settings.rpm,
    baseUrl: givenBaseUrl(settings),
    prices: work.prices,
    maxCostUsd: settings.maxCostUsd,
    spentBeforeUsd: work.spentBeforeUsd,
    reservedBeforeUsd: work.reservedBeforeUsd,
    maxAttempts: settings.maxAttempts,
    timeoutMs: settings.timeoutMs,
    stream: settings.stream,
    concurrency: settings.concurrency,
    env: work.env,
    clock: work.clock,
    emit: work.emit,
    fetch: work.fetch,
    // Nothing pending, nothing to admit: no need to wait for Redis.
    coordinator: pending ? settings.coordinator : undefined,
    // A batch run sends (almost) nothing live: the tokenizer's tables are not worth their memory —
    // unless --max-cost reserves each request's worst case, counted as a live run's cap counts it.
    roughPromptTokens: settings.via === "batch" && settings.maxCostUsd === undefined,
  };
}
