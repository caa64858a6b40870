import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/errors.js";
import { openMetricsFile } from "../../src/observe/metrics-file.js";
import { settle, VirtualClock } from "../support/virtual-clock.js";
import { answered, done, ended, started } from "./events.js";

function directory(): string {
  return mkdtempSync(join(tmpdir(), "metasync-metrics-"));
}

const okItems = (text: string) =>
  /metasync_items_total\{[^}]*status="ok"[^}]*\} (\d+)/.exec(text)?.[1] ?? "absent";

/** Lets the writes the clock's ticks started reach the disk. */
async function writesDone(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("--metrics-file", () => {
  it("is written at once, every 5 s while the run changes it, and at the end", async () => {
    const dir = directory();
    const path = join(dir, "metasync.prom");
    const clock = new VirtualClock(1_700_000_000_000);
    const observer = await openMetricsFile(path, { command: "run", clock });
    // Written before anything is sent: a scraper sees the file as soon as the run starts.
    expect(readFileSync(path, "utf8")).toBe("");

    observer.sink({ type: "run", runId: "r1", state: "new", cached: 0, retried: 0 });
    observer.sink({ type: "start", total: 3, pending: 3, concurrency: 1 });
    observer.sink(started("a"));
    observer.sink(done(answered("a")));
    await clock.advance(4_999);
    await writesDone();
    expect(okItems(readFileSync(path, "utf8"))).toBe("absent");
    await clock.advance(1);
    await writesDone();
    const during = readFileSync(path, "utf8");
    expect(okItems(during)).toBe("1");
    expect(during).toContain('metasync_run_items{state="pending"} 2');

    observer.sink(started("b"));
    observer.sink(done(answered("b")));
    observer.sink(ended(2, 0, 3));
    expect(await observer.close()).toEqual([]);
    const after = readFileSync(path, "utf8");
    expect(okItems(after)).toBe("2");
    expect(after).toContain('metasync_run_ended{reason="completed"} 1');
    // Only the file: every write went through a temporary file renamed over it.
    expect(readdirSync(dir)).toEqual(["metasync.prom"]);
  });

  it("is not rewritten while nothing changes", async () => {
    const dir = directory();
    const path = join(dir, "m.prom");
    const clock = new VirtualClock();
    const observer = await openMetricsFile(path, { command: "run", clock, intervalMs: 1000 });
    observer.sink(done(answered("a")));
    await clock.advance(1000);
    await writesDone();
    // Each write renames a new file over the old one: the same inode means no write.
    const first = statSync(path).ino;
    await clock.advance(5000);
    await writesDone();
    expect(statSync(path).ino).toBe(first);
    observer.sink(done(answered("b")));
    await clock.advance(1000);
    await writesDone();
    expect(statSync(path).ino).not.toBe(first);
    await observer.close();
  });

  it("refuses a path it cannot write before anything is sent: a usage error (exit 2)", async () => {
    const path = join(directory(), "no-such-dir", "m.prom");
    await expect(openMetricsFile(path, { command: "run", clock: new VirtualClock() })).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/m\.prom: cannot write the metrics file: no such directory/),
    });
  });

  it("reports a write that fails once the run goes on as a warning, not the run's failure", async () => {
    const dir = directory();
    const path = join(dir, "m.prom");
    const clock = new VirtualClock();
    const observer = await openMetricsFile(path, { command: "run", clock });
    rmSync(dir, { recursive: true });
    observer.sink(done(answered("a")));
    const warnings = await observer.close();
    expect(warnings).toEqual([
      expect.stringMatching(
        /m\.prom: cannot write the metrics file: no such directory .*\(the metrics may be out of date\)$/,
      ),
    ]);
  });
});
