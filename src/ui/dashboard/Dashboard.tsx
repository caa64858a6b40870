import { Box, Static, Text, useStdout } from "ink";
import { progressMetrics } from "../progress-metrics.js";
import { CostLatency } from "./CostLatency.js";
import type { DashboardView } from "./dashboard-view.js";
import { ErrorList } from "./ErrorList.js";
import { EvalMatrixPanel } from "./EvalMatrixPanel.js";
import { Header } from "./Header.js";
import { KeyList } from "./KeyList.js";
import { OptimizePanel } from "./OptimizePanel.js";
import { OverallProgress } from "./OverallProgress.js";
import { PaletteContext } from "./palette.js";
import { ThroughputPanel } from "./ThroughputPanel.js";
import { type StopKeyHandlers, useStopKeys } from "./use-stop-keys.js";

export interface DashboardProps extends StopKeyHandlers {
  view: DashboardView;
  color: boolean;
}

/**
 * The live dashboard: notices printed once through `<Static>`, and a live area below them. When the
 * run is over the live area is drawn once more, as it ended, and stays on the screen.
 */
export function Dashboard({ view, color, onStop, onForceExit }: DashboardProps) {
  useStopKeys(view.keyboard && !view.finished, { onStop, onForceExit });
  return (
    <PaletteContext.Provider value={{ color }}>
      <Static items={[...view.notices]}>{(notice) => <Text key={notice.id}>{notice.text}</Text>}</Static>
      <LiveArea view={view} />
    </PaletteContext.Provider>
  );
}

function LiveArea({ view }: { view: DashboardView }) {
  const { stdout } = useStdout();
  const width = Math.min(100, stdout.columns || 80);
  const metrics = progressMetrics(view.state, view.now);
  return (
    <Box flexDirection="column" width={width}>
      <Header view={view} />
      <OverallProgress state={view.state} metrics={metrics} width={width} />
      <ThroughputPanel state={view.state} metrics={metrics} now={view.now} />
      <CostLatency state={view.state} metrics={metrics} />
      <EvalMatrixPanel matrix={view.state.evalMatrix} />
      <OptimizePanel progress={view.state.optimize} />
      <KeyList keys={view.state.keys} now={view.now} />
      <ErrorList errors={view.state.errors} />
    </Box>
  );
}
