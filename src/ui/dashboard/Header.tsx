import { Box, Text } from "ink";
import { formatDuration } from "../../core/format/time.js";
import type { DashboardView } from "./dashboard-view.js";
import { useTone } from "./use-tone.js";

/** `metasync · run 3f2a… · running · 1m 3s` and what the keys do. */
export function Header({ view }: { view: DashboardView }) {
  const tone = useTone();
  const { state } = view;
  const elapsed = state.startedAt === null ? 0 : view.now - state.startedAt;
  const phase = state.phase === "stopping" ? "stopping" : state.phase === "waiting" ? "starting" : "running";
  let hint = "";
  if (view.keyboard)
    hint = view.stopRequested || state.phase === "stopping" ? "q again: quit now" : "q: stop";
  return (
    <Box justifyContent="space-between">
      <Text>
        <Text bold>metasync</Text>
        {state.run ? ` · run ${state.run.id}` : ""} ·{" "}
        <Text {...tone(phase === "stopping" ? "yellow" : "cyan")}>{phase}</Text> · {formatDuration(elapsed)}
      </Text>
      <Text {...tone("gray")}>{hint}</Text>
    </Box>
  );
}
