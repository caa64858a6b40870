import { type Instance, render } from "ink";
import type { ReporterEvent } from "../../core/events.js";
import { noticeLine, summaryLine } from "../progress-lines.js";
import { initialProgressState, reduceProgress } from "../progress-state.js";
import { type Every, everyInterval, type ProgressReporter, progressReporter } from "../reporter.js";
import { Dashboard } from "./Dashboard.js";
import type { DashboardView, Notice } from "./dashboard-view.js";

export interface DashboardReporterOptions {
  /** Where the dashboard is drawn: stderr (stdout carries results). */
  stream: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Whether `q`/Ctrl-C can be read from stdin (a terminal that is not the input). */
  keyboard: boolean;
  color: boolean;
  requestStop(): void;
  /** Quits now; the dashboard is unmounted first so the terminal is left as it was. */
  forceExit(): void;
  now?: () => number;
  /** How often the live area gets a new snapshot: never per event. */
  snapshotMs?: number;
  every?: Every;
}

export const SNAPSHOT_MS = 150;

/**
 * `--progress tui`: the ink dashboard. Events update the state at once; the live area is re-rendered
 * from a snapshot at most every `snapshotMs`, so a fast run is not slowed by drawing. When the run
 * ends the live area is drawn once more as it ended and stays, with the summary (and the errors by
 * type) printed below it. A resized terminal is redrawn by ink at once, and laid out for its new
 * width at the next snapshot.
 */
export function createDashboardReporter(options: DashboardReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const every = options.every ?? everyInterval;
  let state = initialProgressState;
  const notices: Notice[] = [];
  let stopRequested = false;
  let dirty = false;
  let instance: Instance | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let stopTimer: (() => void) | undefined;
  let closed = false;

  const view = (finished: boolean): DashboardView => ({
    state,
    now: now(),
    notices: notices.slice(),
    stopRequested,
    keyboard: options.keyboard,
    finished,
  });
  const element = (finished: boolean) => (
    <Dashboard view={view(finished)} color={options.color} onStop={onStop} onForceExit={onForceExit} />
  );
  let drawnAt = 0;
  const draw = () => {
    // Redraw when something changed, and once a second anyway so elapsed times and countdowns move.
    if (!instance || (!dirty && now() - drawnAt < 1_000)) return;
    dirty = false;
    drawnAt = now();
    instance.rerender(element(false));
  };
  const mount = () => {
    if (instance || closed) return;
    instance = render(element(false), {
      stdout: options.stream,
      stderr: options.stream,
      stdin: options.stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 10,
    });
    // Asked for now: ink settles it only if someone waits before the unmount.
    exited = instance.waitUntilExit();
    const stopTicking = every(options.snapshotMs ?? SNAPSHOT_MS, draw);
    options.stream.on?.("resize", onResize);
    stopTimer = () => {
      stopTicking();
      options.stream.off?.("resize", onResize);
    };
  };
  function onResize() {
    dirty = true;
  }
  const unmount = () => {
    stopTimer?.();
    if (!instance) return;
    instance.rerender(element(true));
    instance.unmount();
  };
  const addNotice = (text: string) => {
    notices.push({ id: notices.length, text: text.replace(/\n$/, "") });
    dirty = true;
  };
  function onStop() {
    stopRequested = true;
    dirty = true;
    options.requestStop();
  }
  function onForceExit() {
    closed = true;
    unmount();
    options.stream.write("metasync: quit with requests in flight; rerun the same command to resume\n");
    options.forceExit();
  }

  const sink = (event: ReporterEvent) => {
    if (closed) return;
    const at = now();
    state = reduceProgress(state, event, at);
    dirty = true;
    const line = noticeLine(event, at);
    if (line) addNotice(line);
    mount();
    if (event.type === "end") {
      closed = true;
      unmount();
      options.stream.write(summaryLine(state, at));
      return;
    }
  };

  return progressReporter(sink, {
    notice: (text) => {
      if (instance && !closed) addNotice(text.replace(/^\n/, ""));
      else options.stream.write(text);
    },
    close: async () => {
      if (!closed) {
        closed = true;
        unmount();
      }
      await exited;
    },
  });
}
