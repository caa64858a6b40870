import { Text } from "ink";
import { formatCount } from "../../core/format/number.js";
import { formatLatency } from "../../core/format/time.js";
import { formatUsd } from "../../core/format/usd.js";
import type { ProgressMetrics } from "../progress-metrics.js";
import type { ProgressState } from "../progress-state.js";

/** `cost $1.92 so far · $4.56 projected   latency p50 812 ms · p95 2.1 s` */
export function CostLatency({ state, metrics }: { state: ProgressState; metrics: ProgressMetrics }) {
  let cost = "—";
  if (state.pricedItems > 0) {
    cost = `${formatUsd(metrics.costUsd)} so far`;
    if (metrics.projectedUsd !== null) cost += ` · ${formatUsd(metrics.projectedUsd)} projected`;
    if (!metrics.costComplete) cost += ` · ${formatCount(state.unpricedItems)} items unpriced`;
  } else if (state.unpricedItems > 0) {
    cost = "unknown (no price for the model)";
  }
  const latency =
    metrics.p50Ms === null || metrics.p95Ms === null
      ? "—"
      : `p50 ${formatLatency(metrics.p50Ms)} · p95 ${formatLatency(metrics.p95Ms)}`;
  return (
    <Text>
      <Text bold>cost </Text>
      {cost}
      {"   "}
      <Text bold>latency </Text>
      {latency}
    </Text>
  );
}
