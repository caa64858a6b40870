import { Box, Text } from "ink";
import { formatDuration } from "../../core/format/time.js";
import type { DashboardView } from "./dashboard-view.js";
import { useTone } from "./use-tone.js";

/** `metasync · run 3f2a… · running · 1m 3s` and what the keys do; `finished` or `stopped` at the end. */
export function Header({ view }: { view: DashboardView }) {
  const tone = useTone();
  const { state } = view;
  const elapsed = state.end?.wallMs ?? (state.startedAt === null ? 0 : view.now - state.startedAt);
  const phase =
    state.phase === "ended"
      ? state.end?.reason === "completed"
        ? "finished"
        : state.end?.reason === "interrupted"
          ? "interrupted"
          : "stopped"
      : state.phase === "stopping"
        ? "stopping"
        : state.phase === "waiting"
          ? "starting"
          : "running";
  const colour =
    phase === "finished" ? "green" : phase === "running" || phase === "starting" ? "cyan" : "yellow";
  let hint = "";
  if (view.keyboard && !view.finished)
    hint = view.stopRequested || state.phase === "stopping" ? "q again: quit now" : "q: stop";
  return (
    <Box justifyContent="space-between">
      <Text>
        <Text bold>metasync</Text>
        {state.run ? ` · run ${state.run.id}` : ""} · <Text {...tone(colour)}>{phase}</Text> ·{" "}
        {formatDuration(elapsed)}
      </Text>
      <Text {...tone("gray")}>{hint}</Text>
    </Box>
  );
}
