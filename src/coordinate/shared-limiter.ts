import type { EventSink } from "../core/events.js";
import type { LimiterFactory } from "../core/limiter.js";
import type { Coordinator } from "./coordinator.js";
import { SharedLimitScope } from "./shared-limit-scope.js";

/** A lease outlives the request's timeout by this much before Redis stops counting it in flight. */
const LEASE_MARGIN_MS = 60_000;

/**
 * The limiter factory of a session given `--coordinator`: every limit scope lives in Redis.
 * `requestTimeoutMs` bounds how long a request may stay in flight (a dead process's lapse after it).
 */
export function sharedLimiter(
  coordinator: Coordinator,
  requestTimeoutMs: number,
  emit: EventSink,
): LimiterFactory {
  let warned = false;
  const onError = (error: unknown) => {
    if (warned) return;
    warned = true;
    emit({
      type: "warning",
      message: `coordinator ${coordinator.address.shown}: an answer's usage was not recorded (${error instanceof Error ? error.message : String(error)}); its lease lapses on its own`,
    });
  };
  return (name, configured) =>
    new SharedLimitScope(name, configured, coordinator, requestTimeoutMs + LEASE_MARGIN_MS, onError);
}
