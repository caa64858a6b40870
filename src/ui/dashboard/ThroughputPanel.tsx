import { Box, Text } from "ink";
import { formatCompact, formatCount, formatShare } from "../../core/format/number.js";
import { formatDuration } from "../../core/format/time.js";
import { type ProgressMetrics, scopeRates, totalBudget } from "../progress-metrics.js";
import type { ProgressState } from "../progress-state.js";
import { Meter } from "./Meter.js";
import { useTone } from "./use-tone.js";

export interface ThroughputPanelProps {
  state: ProgressState;
  metrics: ProgressMetrics;
  now: number;
}

/**
 * Requests and tokens per minute over the last minute, against the run's budget (the sum of its
 * scopes' limits), then each scope's own gauges against its limits and whether it is cooling down.
 */
export function ThroughputPanel({ state, metrics, now }: ThroughputPanelProps) {
  const tone = useTone();
  const budget = totalBudget(state);
  // A scope with no known limit and no 429 has nothing to say.
  const scopes = Object.entries(state.scopes).filter(
    ([, scope]) => scope.rpm !== null || scope.tpm !== null || scope.rateLimited > 0,
  );
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>throughput </Text>
        {gauge(metrics.requestsPerMin, budget.rpm, "req/min", "rpm")}
        {"   "}
        {gauge(metrics.tokensPerMin, budget.tpm, "tok/min", "tpm")}
      </Text>
      {budget.rpm !== null || budget.tpm !== null ? (
        <Text>
          {budget.rpm !== null ? (
            <Text>
              {"  requests "}
              <Meter fraction={metrics.requestsPerMin / budget.rpm} width={20} tone="cyan" />
              {` ${used(metrics.requestsPerMin, budget.rpm, "rpm")}`}
            </Text>
          ) : null}
          {budget.tpm !== null ? (
            <Text>
              {"  tokens "}
              <Meter fraction={metrics.tokensPerMin / budget.tpm} width={20} tone="cyan" />
              {` ${used(metrics.tokensPerMin, budget.tpm, "tpm")}`}
            </Text>
          ) : null}
        </Text>
      ) : null}
      {scopes.map(([name, scope]) => {
        const cooling = scope.coolingUntil !== null && scope.coolingUntil > now;
        const rates = scopeRates(state, scope, now);
        return (
          <Text key={name}>
            {"  scope "}
            {name}: {ratio(rates.requestsPerMin, scope.rpm)} req/min
            {scope.rpm !== null ? " " : ""}
            {scope.rpm !== null ? (
              <Meter fraction={rates.requestsPerMin / scope.rpm} width={8} tone="cyan" />
            ) : null}
            {" · "}
            {ratio(rates.tokensPerMin, scope.tpm)} tok/min
            {scope.tpm !== null ? " " : ""}
            {scope.tpm !== null ? (
              <Meter fraction={rates.tokensPerMin / scope.tpm} width={8} tone="cyan" />
            ) : null}
            {scope.rateLimited > 0 ? ` · ${formatCount(scope.rateLimited)}× 429` : ""}
            {cooling && scope.coolingUntil !== null ? (
              <Text {...tone("yellow")}> · cooling {formatDuration(scope.coolingUntil - now)}</Text>
            ) : null}
          </Text>
        );
      })}
    </Box>
  );
}

/** What a budget bar stands for: `482/500 rpm (96%)`. */
function used(rate: number, limit: number, unit: string): string {
  return `${formatCompact(rate)}/${formatCompact(limit)} ${unit} (${formatShare(rate / limit)})`;
}

/** `480/500`, or the rate alone where the scope has no known limit. */
function ratio(rate: number, limit: number | null): string {
  return limit === null ? formatCompact(rate) : `${formatCompact(rate)}/${formatCompact(limit)}`;
}

function gauge(rate: number, limit: number | null, unit: string, limitUnit: string): string {
  const text = `${formatCompact(rate)} ${unit}`;
  return limit === null ? text : `${text} of ${formatCompact(limit)} ${limitUnit}`;
}
