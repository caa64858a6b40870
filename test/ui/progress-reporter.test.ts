import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import {
  createProgressReporter,
  parseProgressMode,
  resolveProgressMode,
} from "../../src/ui/progress-reporter.js";
import { runEvent } from "./events.js";

describe("--progress", () => {
  it("accepts the six modes and defaults to auto", () => {
    for (const mode of ["auto", "tui", "bar", "plain", "json", "none"])
      expect(parseProgressMode(mode)).toBe(mode);
    expect(parseProgressMode(undefined)).toBe("auto");
  });

  it("refuses anything else with a usage error (exit 2) that lists the modes", () => {
    expect(() => parseProgressMode("fancy")).toThrow(UsageError);
    expect(() => parseProgressMode("fancy")).toThrow(
      '--progress must be one of auto, tui, bar, plain, json, none; got "fancy"',
    );
    try {
      parseProgressMode("TUI");
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(2);
    }
  });

  it("auto is the dashboard on an interactive terminal, plain lines in pipes, CI and dumb terminals", () => {
    expect(resolveProgressMode("auto", true, {})).toBe("tui");
    expect(resolveProgressMode("auto", false, {})).toBe("plain");
    expect(resolveProgressMode("auto", true, { CI: "true" })).toBe("plain");
    expect(resolveProgressMode("auto", true, { GITHUB_ACTIONS: "true", CI: "1" })).toBe("plain");
    expect(resolveProgressMode("auto", true, { CI: "false" })).toBe("tui");
    expect(resolveProgressMode("auto", true, { TERM: "dumb" })).toBe("plain");
    // Results streaming to the same terminal would tear the dashboard apart.
    expect(resolveProgressMode("auto", true, {}, true)).toBe("plain");
    expect(resolveProgressMode("tui", true, {}, true)).toBe("tui");
    expect(resolveProgressMode("json", true, {})).toBe("json");
  });

  it("none writes nothing for any event", async () => {
    const written: string[] = [];
    const stream = {
      write: (text: string) => written.push(text),
      isTTY: false,
    } as unknown as NodeJS.WriteStream;
    const reporter = await createProgressReporter({
      mode: "none",
      stream,
      isTTY: false,
      env: {},
      stdin: process.stdin,
      keyboard: false,
      requestStop: () => {},
      forceExit: () => {},
    });
    reporter(runEvent());
    reporter({
      type: "end",
      reason: "completed",
      counts: { total: 0, ok: 0, failed: 0, previouslyDone: 0, inFlight: 0 },
      wallMs: 1,
    });
    await reporter.close();
    expect(written).toEqual([]);
  });
});
