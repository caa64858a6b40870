import { describe, expect, it } from "vitest";
import type { CommandEvent, EventSink } from "../../src/core/events.js";
import { createJsonReporter } from "../../src/ui/json-reporter.js";
import { createPlainReporter } from "../../src/ui/plain-reporter.js";
import { initialProgressState, reduceProgress } from "../../src/ui/progress-state.js";
import { createSilentReporter } from "../../src/ui/reporter.js";
import { itemDone, result, runEvent, start, T0 } from "./events.js";
import { fakeTimer, sinkText } from "./fake-timer.js";

/** What a command such as eval might add beside the engine's events. */
const score: CommandEvent = { type: "eval_score", id: "q1", model: "openai:gpt-4o-mini", pass: true };

describe("a command's own events", () => {
  it("are printed by the JSON reporter as they are, with their type and a time", async () => {
    const clock = fakeTimer(T0);
    const out = sinkText();
    const report = createJsonReporter({ write: out.write, now: clock.now, every: clock.every });
    report(runEvent());
    report(score);
    await report.close();
    const lines = out.text().trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] ?? "")).toEqual({
      type: "eval_score",
      time: new Date(T0).toISOString(),
      id: "q1",
      model: "openai:gpt-4o-mini",
      pass: true,
    });
  });

  it("change nothing the progress reporters show, and the text reporters print nothing for them", async () => {
    const state = reduceProgress(
      reduceProgress(initialProgressState, start(2), T0),
      itemDone(result("a")),
      T0,
    );
    expect(reduceProgress(state, score, T0 + 1)).toBe(state);

    const clock = fakeTimer(T0);
    const out = sinkText();
    const plain = createPlainReporter({ write: out.write, now: clock.now, every: clock.every });
    plain(score);
    plain({ type: "warning_of_my_own", message: "looks like an engine warning, is not one" });
    const silent = createSilentReporter(out.write);
    silent({ type: "stopping_soon", reason: "stopped", message: "not the engine's" });
    await plain.close();
    await silent.close();
    expect(out.text()).toBe("");
  });

  it("go to the same sink the engine is given", () => {
    const out = sinkText();
    // A reporter takes every event, so it can stand where the engine wants its own sink.
    const engineSink: EventSink = createPlainReporter({ write: out.write });
    engineSink(runEvent());
    expect(out.text()).toBe("metasync: run run-1\n");
  });
});
