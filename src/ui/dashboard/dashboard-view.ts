import type { ProgressState } from "../progress-state.js";

/** A line printed once above the live area (run info, a disabled key, a stop). */
export interface Notice {
  id: number;
  text: string;
}

/** One snapshot of what the dashboard shows; components are pure functions of it. */
export interface DashboardView {
  state: ProgressState;
  /** When the snapshot was taken (epoch ms): durations and rates are relative to it. */
  now: number;
  notices: readonly Notice[];
  /** `q` or Ctrl-C was pressed once; a second press quits at once. */
  stopRequested: boolean;
  /** Whether keys can be read (stdin is a terminal and not the input). */
  keyboard: boolean;
  /** The run ended: only the notices remain, the live area is gone. */
  finished: boolean;
}
