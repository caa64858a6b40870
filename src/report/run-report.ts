import type { KeyReport, ScopeBudget } from "../core/snapshot.js";
import { type ItemResult, OWN_MODEL_RULE } from "../core/types.js";
import { usageCost } from "../cost/item-cost.js";
import type { PriceTable } from "../cost/price-table.js";
import { UsdSum } from "../cost/usd.js";
import { LatencyLog } from "./latency-log.js";

/** Totals for one model or one key. `cost_usd` is null when any of its items' cost is unknown. */
export interface GroupReport {
  items: number;
  ok: number;
  failed: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number | null;
  /** The sum of the costs that are known. */
  cost_usd_known: number;
}

/** One limit scope's budget against what the run used of it, per minute of wall time. */
export interface ScopeUse {
  requests: number;
  tokens: number;
  rpm: { limit: number | null; used: number | null; share: number | null };
  tpm: { limit: number | null; used: number | null; share: number | null };
}

/** The run report (DESIGN §7). Field names are part of the interface: CI reads them. */
export interface RunReport {
  run_id: string;
  /** `from_cache`: items answered from the response cache, nothing sent for them in this run. */
  items: { total: number; ok: number; failed: number; pending: number; from_cache: number };
  /** Tokens of the answers the provider gave (cache answers left out); `cached_tokens` are prompt-cache hits. */
  usage: { input_tokens: number; output_tokens: number; cached_tokens: number };
  /** The run's cost in USD, or null when some item's cost is unknown (see `unpriced_models`). */
  cost_usd: number | null;
  /** The sum of the costs that are known; equals `cost_usd` when that is not null. */
  cost_usd_known: number;
  /** Models with items whose cost is unknown: they have no price. */
  unpriced_models: string[];
  by_model: Record<string, GroupReport>;
  /** `-m auto`: by the router rule that chose each item's model (a row's own model under its own name); only then. */
  by_rule?: Record<string, GroupReport>;
  /** By the fingerprint of the key that sent each item (`none` for keyless providers such as the mock); cache answers are left out. */
  by_key: Record<string, GroupReport>;
  /** Nearest-rank percentiles over the answers the provider gave in this run (ok, not from the cache). */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** Failed items by error type. */
  errors: Record<string, number>;
  /** Attempts beyond the first, summed over items. */
  retries: number;
  wall_s: number | null;
  /** Finished items (not from the cache) per second, and their input + output tokens per minute. */
  throughput: { items_per_s: number | null; tokens_per_min: number | null };
  budget: Record<string, ScopeUse> | null;
  /** Each key's health at the end of this process's work, by fingerprint (never the key). */
  keys: Record<string, KeyReport> | null;
  /**
   * Items answered through provider batches (`--via batch`): what they cost at the batch price, what
   * the same usage costs at live prices, and the difference; absent for a run that used none.
   */
  batch?: BatchSaving;
}

export interface BatchSaving {
  items: number;
  cost_usd: number;
  /** Null when some model has no price. */
  live_cost_usd: number | null;
  saving_usd: number | null;
}

export interface ReportMeta {
  runId: string;
  /** Wall time of the run; null when not known. */
  wallMs: number | null;
  budget?: readonly ScopeBudget[] | undefined;
  keys?: Record<string, KeyReport> | undefined;
}

export interface ReportOptions {
  /** Prices for results stored without a cost (runs made before costs were stored). */
  prices?: PriceTable | undefined;
}

class GroupTally {
  readonly totals = { items: 0, ok: 0, failed: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0 };
  private readonly known = new UsdSum();
  private unknown = 0;

  add(result: ItemResult, cost: number | null, countUsage: boolean): void {
    this.totals.items += 1;
    if (result.status === "ok") this.totals.ok += 1;
    else this.totals.failed += 1;
    if (result.usage && countUsage) {
      this.totals.input_tokens += result.usage.input_tokens;
      this.totals.output_tokens += result.usage.output_tokens;
      this.totals.cached_tokens += result.usage.cached_tokens ?? 0;
    }
    if (cost === null) this.unknown += 1;
    else this.known.add(cost);
  }

  report(): GroupReport {
    return {
      ...this.totals,
      cost_usd: this.unknown > 0 ? null : this.known.usd,
      cost_usd_known: this.known.usd,
    };
  }
}

/**
 * Builds a run report from its results one at a time: memory stays flat (a few counters per model
 * and key, and 8 bytes a latency) however many results there are.
 */
export class RunReportBuilder {
  private readonly items = { total: 0, ok: 0, failed: 0, pending: 0, from_cache: 0 };
  private readonly all = new GroupTally();
  private readonly byModel = new Map<string, GroupTally>();
  private readonly byRule = new Map<string, GroupTally>();
  private routed = false;
  private readonly byKey = new Map<string, GroupTally>();
  private readonly unpriced = new Set<string>();
  private readonly errors = new Map<string, number>();
  private readonly latencies = new LatencyLog();
  private retries = 0;
  private readonly batch = { items: 0, cost: new UsdSum(), live: new UsdSum(), liveUnknown: false };

  constructor(private readonly options: ReportOptions = {}) {}

  /** Adds an item's result; `undefined` is an item still pending. */
  add(result: ItemResult | undefined): void {
    this.items.total += 1;
    if (!result) {
      this.items.pending += 1;
      return;
    }
    if (result.status === "ok") this.items.ok += 1;
    else this.items.failed += 1;
    const fromCache = result.cached === true;
    if (fromCache) this.items.from_cache += 1;
    const cost = this.costOf(result);
    if (cost === null) this.unpriced.add(result.model);
    this.all.add(result, cost, !fromCache);
    tally(this.byModel, result.model).add(result, cost, !fromCache);
    if (result.rule !== undefined) this.routed = true;
    tally(this.byRule, result.rule ?? OWN_MODEL_RULE).add(result, cost, !fromCache);
    if (result.key !== undefined && !fromCache) tally(this.byKey, result.key).add(result, cost, true);
    if (result.status === "error") {
      const type = result.error?.type ?? "unknown";
      this.errors.set(type, (this.errors.get(type) ?? 0) + 1);
    } else if (!fromCache) {
      this.latencies.add(result.latency_ms);
    }
    if (result.batch_id !== undefined && !fromCache) this.addBatch(result, cost);
    // Requests sent again: attempts after the first, and the 429s waited out.
    this.retries += Math.max(0, result.attempts - 1) + (result.rate_limited_retries ?? 0);
  }

  build(meta: ReportMeta): RunReport {
    const all = this.all.report();
    const wallS = meta.wallMs === null ? null : Math.round(meta.wallMs) / 1000;
    const sent = this.items.ok + this.items.failed - this.items.from_cache;
    const perSecond = (n: number) => (wallS !== null && wallS > 0 ? n / wallS : null);
    const itemsPerS = perSecond(sent);
    const tokensPerS = perSecond(all.input_tokens + all.output_tokens);
    return {
      run_id: meta.runId,
      items: { ...this.items },
      usage: {
        input_tokens: all.input_tokens,
        output_tokens: all.output_tokens,
        cached_tokens: all.cached_tokens,
      },
      cost_usd: all.cost_usd,
      cost_usd_known: all.cost_usd_known,
      unpriced_models: [...this.unpriced].sort(),
      by_model: reports(this.byModel),
      ...(this.routed ? { by_rule: reports(this.byRule) } : {}),
      by_key: reports(this.byKey),
      latency_ms: {
        p50: this.latencies.percentile(50),
        p95: this.latencies.percentile(95),
        p99: this.latencies.percentile(99),
      },
      errors: Object.fromEntries([...this.errors].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      retries: this.retries,
      wall_s: wallS,
      throughput: {
        items_per_s: itemsPerS === null ? null : round(itemsPerS, 3),
        tokens_per_min: tokensPerS === null ? null : Math.round(tokensPerS * 60),
      },
      budget: meta.budget ? budgetUse(meta.budget, wallS) : null,
      keys: meta.keys ?? null,
      ...(this.batchSaving() ? { batch: this.batchSaving() as BatchSaving } : {}),
    };
  }

  private addBatch(result: ItemResult, cost: number | null): void {
    this.batch.items += 1;
    this.batch.cost.add(cost ?? 0);
    if (!result.usage) return;
    const live = this.options.prices ? usageCost(this.options.prices, result.model, result.usage) : undefined;
    if (live === undefined) this.batch.liveUnknown = true;
    else this.batch.live.add(live);
  }

  private batchSaving(): BatchSaving | undefined {
    if (this.batch.items === 0) return undefined;
    const live = this.batch.liveUnknown ? null : this.batch.live.usd;
    return {
      items: this.batch.items,
      cost_usd: this.batch.cost.usd,
      live_cost_usd: live,
      saving_usd: live === null ? null : round(live - this.batch.cost.usd, 12),
    };
  }

  /**
   * An item's cost: as stored; else priced from its usage; a failed request that reported no usage
   * costs nothing (providers do not bill rejected requests); otherwise unknown (null), never 0.
   */
  private costOf(result: ItemResult): number | null {
    if (result.cost_usd !== null) return result.cost_usd;
    if (!result.usage) return result.status === "error" ? 0 : null;
    if (!this.options.prices) return null;
    return usageCost(this.options.prices, result.model, result.usage) ?? null;
  }
}

/** The report of a run's results, read in one pass. */
export function buildRunReport(
  results: Iterable<ItemResult | undefined>,
  meta: ReportMeta,
  options: ReportOptions = {},
): RunReport {
  const builder = new RunReportBuilder(options);
  for (const result of results) builder.add(result);
  return builder.build(meta);
}

function tally(groups: Map<string, GroupTally>, name: string): GroupTally {
  let group = groups.get(name);
  if (!group) {
    group = new GroupTally();
    groups.set(name, group);
  }
  return group;
}

function reports(groups: Map<string, GroupTally>): Record<string, GroupReport> {
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, group]) => [name, group.report()]),
  );
}

function budgetUse(budget: readonly ScopeBudget[], wallS: number | null): Record<string, ScopeUse> {
  const minutes = wallS !== null && wallS > 0 ? wallS / 60 : null;
  const use = (limit: number | null, amount: number) => {
    const used = minutes === null ? null : round(amount / minutes, 1);
    return {
      limit,
      used,
      share: used !== null && limit !== null && limit > 0 ? round(used / limit, 4) : null,
    };
  };
  return Object.fromEntries(
    budget.map((scope) => [
      scope.scope,
      {
        requests: scope.requests,
        tokens: scope.tokens,
        rpm: use(scope.rpm, scope.requests),
        tpm: use(scope.tpm, scope.tokens),
      },
    ]),
  );
}

function round(n: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(n * scale) / scale;
}
