import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  type KeyClaim,
  type NewRun,
  RunBusyError,
  type RunOwner,
  StateStore,
} from "../../src/store/state-store.js";

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const handle of opened.splice(0)) handle.close();
});

/** Two handles on one database file, as two processes would have. */
function twoProcesses(): [StateStore, StateStore, string] {
  const path = join(mkdtempSync(join(tmpdir(), "metasync-claim-")), "state.db");
  const first = StateStore.open(path);
  const second = StateStore.open(path);
  opened.push(first, second);
  return [first, second, path];
}

/** A process on host `h`; `running` says which pids are still alive. */
function owner(pid: number, running: Set<number>): RunOwner {
  return { host: "h", pid, isAlive: (p) => running.has(p), now: Date.now };
}

const newRun: NewRun = {
  key: "k",
  name: null,
  slug: "in",
  inputPath: "/in.jsonl",
  optionsFingerprint: "o",
  options: {},
};

function claim(by: RunOwner | undefined, continues = true): KeyClaim {
  return { key: "k", owner: by, continues: () => continues, start: { create: newRun } };
}

describe("claiming a run key", () => {
  it("refuses a second process while the first is still ingesting the run (it is not listed yet)", () => {
    const [a, b] = twoProcesses();
    const running = new Set([101, 102]);
    const first = a.claimKey(claim(owner(101, running)));
    expect(first.continued).toBe(false);
    expect(first.run.status).toBe("ingesting");
    expect(b.latestRun("k")).toBeUndefined();

    expect(() => b.claimKey(claim(owner(102, running)))).toThrow(RunBusyError);
    expect(() => b.claimKey(claim(owner(102, running)))).toThrow(
      /is being processed by another metasync \(pid 101 on h\)/,
    );
    // --fresh is refused too: the same command twice must not send everything twice.
    expect(() => b.claimKey(claim(owner(102, running), false))).toThrow(RunBusyError);
  });

  it("refuses a second process while the first sends the run, and continues it once the first is gone", () => {
    const [a, b] = twoProcesses();
    const running = new Set([101, 102]);
    const { run } = a.claimKey(claim(owner(101, running)));
    a.ingest(run.id).finish({ fingerprint: "f", total: 0, csvHeader: undefined });
    expect(() => b.claimKey(claim(owner(102, running)))).toThrow(RunBusyError);

    running.delete(101); // killed: its claim is stale
    const taken = b.claimKey(claim(owner(102, running)));
    expect(taken).toMatchObject({ continued: true, run: { id: run.id, status: "open" } });
  });

  it("removes a run left ingesting by a process that died, and starts the key afresh", () => {
    const [a, b] = twoProcesses();
    const running = new Set([102]);
    const { run: orphan } = a.claimKey(claim(owner(101, running)));
    const { run, continued } = b.claimKey(claim(owner(102, running)));
    expect(continued).toBe(false);
    expect(run.id).not.toBe(orphan.id);
    expect(b.counts(orphan.id).total).toBe(0);
    const rows = new Database(b.path, { readonly: true });
    opened.push(rows);
    expect(rows.prepare("SELECT id FROM runs").all()).toEqual([{ id: run.id }]);
  });

  it("holds the write lock from its first read: another process's write waits instead of failing the claim", () => {
    const [a, , path] = twoProcesses();
    const impatient = new Database(path, { timeout: 0 });
    opened.push(impatient);
    const running = new Set([101]);
    const { run } = a.claimKey(claim(owner(101, running)));
    a.ingest(run.id).finish({ fingerprint: "f", total: 0, csvHeader: undefined });
    a.releaseRun(run.id);
    let writeDuringClaim: unknown;
    const claimed = a.claimKey({
      ...claim(owner(101, running)),
      continues: () => {
        try {
          impatient.prepare("UPDATE runs SET heartbeat = 1").run();
        } catch (error) {
          writeDuringClaim = error;
        }
        return true;
      },
    });
    expect(claimed.continued).toBe(true);
    expect((writeDuringClaim as { code?: string } | undefined)?.code).toBe("SQLITE_BUSY");
  });

  it("refusals from `continues` leave nothing behind", () => {
    const [a] = twoProcesses();
    const running = new Set([101]);
    const { run } = a.claimKey(claim(owner(101, running)));
    a.ingest(run.id).finish({ fingerprint: "f", total: 0, csvHeader: undefined });
    a.releaseRun(run.id);
    const refuse = () => {
      throw new Error("input changed");
    };
    expect(() => a.claimKey({ ...claim(owner(101, running)), continues: refuse })).toThrow("input changed");
    expect(a.listRuns().map((r) => r.id)).toEqual([run.id]);
  });
});
