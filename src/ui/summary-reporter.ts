import type { EngineEvent, EventSink } from "../engine/events.js";

/** The quiet reporter: what run this is, and one summary line on stderr when it ends. */
export function createSummaryReporter(write: (text: string) => void): EventSink {
  return (event: EngineEvent) => {
    if (event.type === "run") {
      const notes: string[] = [];
      if (event.cached > 0) notes.push(`${event.cached} answered from the response cache`);
      if (event.retried > 0) notes.push(`${event.retried} failed items queued again`);
      const what =
        event.state === "finished"
          ? `run ${event.runId} finished earlier; writing its results from the state database`
          : event.state === "resumed"
            ? `resuming run ${event.runId}`
            : `run ${event.runId}`;
      write(`metasync: ${what}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}\n`);
      return;
    }
    if (event.type !== "end") return;
    const { counts } = event;
    const pending = counts.total - counts.previouslyDone - counts.ok - counts.failed;
    const parts = [`${counts.ok} ok`, `${counts.failed} failed`];
    if (pending > 0) parts.push(`${pending} pending`);
    const before = counts.previouslyDone > 0 ? ` (${counts.previouslyDone} done before)` : "";
    const verb = event.reason === "completed" ? "done" : "stopped";
    write(
      `metasync: ${verb}: ${counts.total} items${before} · ${parts.join(" · ")} · ${(event.wallMs / 1000).toFixed(1)} s\n`,
    );
  };
}
