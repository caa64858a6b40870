import type { EngineEvent, EventSink } from "../engine/events.js";

/** The quiet reporter: one summary line on stderr when the run ends. */
export function createSummaryReporter(write: (text: string) => void): EventSink {
  return (event: EngineEvent) => {
    if (event.type !== "end") return;
    const { counts } = event;
    const done = counts.ok + counts.failed;
    const pending = counts.total - counts.previouslyDone - done;
    const parts = [`${counts.ok} ok`, `${counts.failed} failed`];
    if (pending > 0) parts.push(`${pending} pending`);
    const verb = event.reason === "completed" ? "done" : "stopped";
    write(
      `metasync: ${verb}: ${counts.total} items · ${parts.join(" · ")} · ${(event.wallMs / 1000).toFixed(1)} s\n`,
    );
  };
}
