import { Box, Text } from "ink";
import { formatCount, formatPercent } from "../../core/format/number.js";
import { formatDuration } from "../../core/format/time.js";
import type { ProgressMetrics } from "../progress-metrics.js";
import type { ProgressState } from "../progress-state.js";
import { Meter } from "./Meter.js";
import { useTone } from "./use-tone.js";

export interface OverallProgressProps {
  state: ProgressState;
  metrics: ProgressMetrics;
  width: number;
}

/** The bar, the counts and the ETA. */
export function OverallProgress({ state, metrics, width }: OverallProgressProps) {
  const tone = useTone();
  if (state.phase === "waiting") return <Text>preparing the run…</Text>;
  const eta =
    state.phase === "ended"
      ? state.end?.reason === "completed"
        ? "done"
        : "stopped"
      : state.phase === "stopping"
        ? "stopping: waiting for requests in flight"
        : metrics.etaMs === null
          ? "ETA —"
          : `ETA ${formatDuration(metrics.etaMs)}`;
  return (
    <Box flexDirection="column">
      <Text>
        <Meter fraction={metrics.fraction} width={Math.max(10, width - 24)} />{" "}
        {formatPercent(metrics.fraction).padStart(4)} {formatCount(metrics.done)}/{formatCount(state.total)}
      </Text>
      <Text>
        <Text {...tone("green")}>{formatCount(state.ok)} ok</Text> ·{" "}
        <Text {...(state.failed > 0 ? tone("red") : {})}>{formatCount(state.failed)} failed</Text> ·{" "}
        {formatCount(state.inFlight)} in flight · {formatCount(metrics.queued)} queued
        {state.previouslyDone > 0 ? ` · ${formatCount(state.previouslyDone)} done before` : ""} · {eta}
      </Text>
    </Box>
  );
}
