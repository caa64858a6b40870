import { isEngineEvent, type ReporterEvent } from "../core/events.js";
import type { ItemResult } from "../core/types.js";

/** One request of an item, sent to a model: when it started and how it ended. */
export interface Attempt {
  id: string;
  /** The item's request count, 1 for its first. */
  attempt: number;
  /** `provider:model`. */
  model: string;
  startedAt: number;
  endedAt: number;
  /** Absent for an answer. */
  error?: { type: string; message: string };
  /** The item's result, when this attempt was its last. */
  result?: ItemResult;
}

/** How an attempt ends when the item is sent again without the engine saying why. */
const SENT_AGAIN = {
  type: "_OTHER",
  message: "sent again: rate limited, refused for its key, or its model not found",
};

/**
 * The request attempts of a run, from the engine's events: an attempt starts with `item_start` and
 * ends with `attempt_failed` (any failed attempt, with its error: a 429, a key's refusal, a
 * transient error), the item's `item_done` (its answer), or the run's `end` (cancelled in flight).
 */
export class AttemptTracker {
  private readonly open = new Map<string, Omit<Attempt, "endedAt">>();

  /** The attempts that `event`, which happened at `now` (epoch ms), ended. */
  observe(event: ReporterEvent, now: number): Attempt[] {
    if (!isEngineEvent(event)) return [];
    switch (event.type) {
      case "item_start": {
        const ended = this.finish(event.id, now, { error: SENT_AGAIN });
        this.open.set(event.id, { id: event.id, attempt: event.attempt, model: event.model, startedAt: now });
        return ended;
      }
      case "attempt_failed":
        return this.finish(event.id, now, { error: event.error });
      case "retry":
        return this.finish(event.id, now, { error: event.error });
      case "item_done": {
        const { result } = event;
        return this.finish(event.id, now, result.error ? { error: result.error, result } : { result });
      }
      case "end":
        return this.finishAll(now);
      default:
        return [];
    }
  }

  /** Ends the attempts still open as cancelled (the run stopped without waiting for them). */
  finishAll(now: number): Attempt[] {
    const ids = [...this.open.keys()];
    return ids.flatMap((id) => this.finish(id, now, { error: { type: "cancelled", message: "cancelled" } }));
  }

  private finish(id: string, now: number, end: Pick<Attempt, "error" | "result">): Attempt[] {
    const started = this.open.get(id);
    if (!started) return [];
    this.open.delete(id);
    return [
      {
        ...started,
        endedAt: now,
        ...(end.error ? { error: { type: end.error.type, message: end.error.message } } : {}),
        ...(end.result ? { result: end.result } : {}),
      },
    ];
  }
}
