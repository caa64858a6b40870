import { type EndReason, isEngineEvent, type KeyState, type ReporterEvent } from "../core/events.js";
import type { ItemResult } from "../core/types.js";
import { DURATION_BUCKETS_S } from "./buckets.js";
import type { MetricFamily } from "./prometheus-text.js";
import { CounterSeries, HistogramSeries } from "./series.js";

const KEY_STATES: readonly KeyState[] = ["active", "cooling", "disabled"];

/**
 * A run's metrics, from the engine's events: the run's items by state, and what this process sent —
 * items by outcome, tokens, cost, 429s, retries and request latency, by model and key (its
 * fingerprint). Counters count from this process's start: a resumed run starts them at zero, as
 * Prometheus expects of a restarted exporter; `metasync_run_items` holds the whole run's progress.
 */
export class RunMetrics {
  private runId: string | undefined;
  private startedAt: number | undefined;
  private ended: { reason: EndReason; at: number } | undefined;
  private readonly progress = { total: 0, previouslyDone: 0, ok: 0, failed: 0, inFlight: 0, cached: 0 };
  private readonly items = new CounterSeries();
  private readonly tokens = new CounterSeries();
  private readonly cost = new CounterSeries();
  private readonly unpriced = new CounterSeries();
  private readonly rateLimited = new CounterSeries();
  private readonly retries = new CounterSeries();
  private readonly latency = new HistogramSeries(DURATION_BUCKETS_S);
  private readonly keys = new Map<string, { provider: string; scope: string; state: KeyState }>();
  /** The model of each item's attempt in flight, for its retries. */
  private readonly modelOf = new Map<string, string>();

  /** `command`: the command that runs (`run`, `eval`), a label of `metasync_run_info`. */
  constructor(private readonly command: string) {}

  /** Takes one event, which happened at `now` (epoch ms). Events of other commands are ignored. */
  observe(event: ReporterEvent, now: number): void {
    if (!isEngineEvent(event)) return;
    const progress = this.progress;
    switch (event.type) {
      case "run":
        this.runId = event.runId;
        progress.cached = event.cached;
        return;
      case "start":
        this.startedAt ??= now;
        progress.total = event.total;
        progress.previouslyDone = event.total - event.pending;
        return;
      case "item_start":
        if (event.attempt === 1) progress.inFlight++;
        this.modelOf.set(event.id, event.model);
        return;
      case "retry":
        this.retries.add({ model: this.modelOf.get(event.id) ?? "", error_type: event.error.type });
        return;
      case "item_done":
        this.modelOf.delete(event.id);
        progress.inFlight = Math.max(0, progress.inFlight - 1);
        if (event.result.status === "ok") progress.ok++;
        else progress.failed++;
        this.itemDone(event.result, event.scope ?? "");
        return;
      case "rate_limited":
        this.rateLimited.add({ key: event.key, scope: event.scope });
        return;
      case "key_state":
        this.keys.set(event.key, { provider: event.provider, scope: event.scope, state: event.state });
        return;
      case "key_disabled": {
        const known = this.keys.get(event.key);
        this.keys.set(event.key, { provider: event.provider, scope: known?.scope ?? "", state: "disabled" });
        return;
      }
      case "end":
        this.ended = { reason: event.reason, at: now };
        progress.total = event.counts.total;
        progress.previouslyDone = event.counts.previouslyDone;
        progress.ok = event.counts.ok;
        progress.failed = event.counts.failed;
        progress.inFlight = event.counts.inFlight;
        return;
      case "stopping":
      case "warning":
      case "scope_limits":
        return;
    }
  }

  private itemDone(result: ItemResult, scope: string): void {
    const model = result.model;
    const key = result.key ?? "";
    const cached = result.cached === true;
    this.items.add({
      model,
      key,
      scope,
      status: result.status,
      error_type: result.error?.type ?? "",
      cached: cached ? "true" : "",
    });
    if (cached) return; // nothing was sent for it in this run
    const usage = result.usage;
    if (usage) {
      this.tokens.add({ model, key, type: "input" }, usage.input_tokens);
      this.tokens.add({ model, key, type: "output" }, usage.output_tokens);
    }
    if (result.cost_usd !== null) this.cost.add({ model, key }, result.cost_usd);
    else if (usage) this.unpriced.add({ model });
    const sent = result.attempts + (result.rate_limited_retries ?? 0) > 0;
    if (sent) this.latency.observe({ model, key }, result.latency_ms / 1000);
  }

  /** The metrics as Prometheus families, in a fixed order. */
  families(): MetricFamily[] {
    const p = this.progress;
    const run = new CounterSeries();
    if (this.runId !== undefined) run.set({ command: this.command, run_id: this.runId }, 1);
    const pending = Math.max(0, p.total - p.previouslyDone - p.ok - p.failed);
    const states =
      this.startedAt === undefined && !this.ended
        ? []
        : (
            [
              ["total", p.total],
              ["previously_done", p.previouslyDone],
              ["ok", p.ok],
              ["failed", p.failed],
              ["pending", pending],
              ["in_flight", p.inFlight],
            ] as const
          ).map(([state, value]) => ({ labels: { state }, value }));
    const started = new CounterSeries();
    if (this.startedAt !== undefined) started.set({}, this.startedAt / 1000);
    const ended = new CounterSeries();
    const endedAt = new CounterSeries();
    if (this.ended) {
      ended.set({ reason: this.ended.reason }, 1);
      endedAt.set({}, this.ended.at / 1000);
    }
    const keyStates = new CounterSeries();
    for (const [key, view] of this.keys) {
      for (const state of KEY_STATES) {
        keyStates.set(
          { key, provider: view.provider, scope: view.scope, state },
          view.state === state ? 1 : 0,
        );
      }
    }
    return [
      gauge("metasync_run_info", "The run this file describes, by command and run id (always 1).", run),
      {
        name: "metasync_run_items",
        help: "The run's items by state: total, previously_done (before this process), ok, failed, pending, in_flight.",
        type: "gauge",
        series: states,
      },
      gauge(
        "metasync_run_start_time_seconds",
        "When this process started sending, in Unix seconds.",
        started,
      ),
      gauge("metasync_run_end_time_seconds", "When the run ended in this process, in Unix seconds.", endedAt),
      gauge(
        "metasync_run_ended",
        "1 once the run has ended, labelled with why: completed, interrupted or stopped.",
        ended,
      ),
      counter(
        "metasync_items_total",
        "Items finished by this process, by model, key fingerprint, limit scope, status and error type.",
        this.items,
      ),
      counter(
        "metasync_tokens_total",
        "Tokens the provider reported, by model, key and type (input, output).",
        this.tokens,
      ),
      counter(
        "metasync_cost_usd_total",
        "What the answers cost in USD, by model and key (priced models only).",
        this.cost,
      ),
      counter(
        "metasync_unpriced_items_total",
        "Answers of a model without a price: their cost is unknown.",
        this.unpriced,
      ),
      counter(
        "metasync_rate_limited_total",
        "429 answers (rate limited), by key and limit scope.",
        this.rateLimited,
      ),
      counter(
        "metasync_retries_total",
        "Requests sent again after a transient error, by model and error type.",
        this.retries,
      ),
      {
        name: "metasync_request_duration_seconds",
        help: "Latency of each item's last request, by model and key.",
        type: "histogram",
        bounds: this.latency.bounds,
        series: this.latency.list(),
      },
      gauge(
        "metasync_key_state",
        "Each key's state (active, cooling, disabled): 1 for its current state.",
        keyStates,
      ),
    ];
  }
}

function gauge(name: string, help: string, series: CounterSeries): MetricFamily {
  return { name, help, type: "gauge", series: series.list() };
}

function counter(name: string, help: string, series: CounterSeries): MetricFamily {
  return { name, help, type: "counter", series: series.list() };
}
