import { statSync } from "node:fs";
import { formatCount } from "../core/format/number.js";
import { formatDuration } from "../core/format/time.js";
import type { RunOwner } from "../store/state-store.js";
import { withStore } from "../store/stored-run.js";

export interface PruneOptions {
  /** Finished runs whose last change is at least this old (ms); every finished run when undefined. */
  olderThanMs: number | undefined;
  /** List what would go, delete nothing. */
  dryRun: boolean;
  /** This process: runs a live process holds (a rerun printing its results) are kept. */
  viewer: RunOwner;
}

/**
 * `metasync prune`: deletes finished runs (their items, results and graded rows), then the cached
 * answers no remaining run asks for, then gives the file back the room (VACUUM). Unfinished runs
 * are never touched. Returns what it did, for stdout, and a warning for stderr when the file could
 * not be compacted now (another process busy with it, no room for the copy VACUUM makes).
 */
export function pruneRuns(path: string, options: PruneOptions): Promise<{ text: string; warning?: string }> {
  return withStore(path, (store) => {
    const now = options.viewer.now();
    const { olderThanMs } = options;
    const all = store.listRuns();
    const chosen = all
      .filter((run) => run.status === "finished")
      .filter((run) => olderThanMs === undefined || now - run.updatedAt >= olderThanMs)
      .filter((run) => !store.holder(run.id, options.viewer)?.alive)
      .map((run) => ({ run, items: store.counts(run.id).total }));
    const which =
      olderThanMs === undefined ? "finished run" : `run finished more than ${formatAge(olderThanMs)} ago`;
    if (chosen.length === 0) {
      return { text: `nothing to prune: no ${which} among ${formatCount(all.length, "run")} in ${path}\n` };
    }
    const items = chosen.reduce((sum, c) => sum + c.items, 0);
    const what = `${formatCount(chosen.length, "run")} (${formatCount(items, "item")})`;
    if (options.dryRun) {
      const lines = chosen.map(
        ({ run, items }) =>
          `  ${run.id}  finished ${new Date(run.updatedAt).toISOString().slice(0, 19).replace("T", " ")}  ${formatCount(items, "item")}`,
      );
      return { text: `would prune ${what} from ${path} (dry run: nothing deleted):\n${lines.join("\n")}\n` };
    }
    const before = fileBytes(path);
    let pruned = 0;
    let prunedItems = 0;
    for (const { run, items } of chosen) {
      // A run rerun since it was listed (and so held, or unfinished again) is kept.
      if (!store.pruneRun(run.id, options.viewer)) continue;
      pruned++;
      prunedItems += items;
    }
    const answers = store.dropUnusedCache();
    let warning: string | undefined;
    try {
      store.compact();
    } catch (error) {
      warning = `the file was not compacted: ${(error as Error).message}; the room is reused by new runs, and the next prune compacts it`;
    }
    const after = fileBytes(path);
    const text =
      `pruned ${formatCount(pruned, "run")} (${formatCount(prunedItems, "item")}) and ` +
      `${formatCount(answers, "cached answer")} no other run uses; ` +
      `${path}: ${formatBytes(before)} → ${formatBytes(after)} (${formatBytes(Math.max(0, before - after))} freed)\n`;
    return warning === undefined ? { text } : { text, warning };
  });
}

/** The database's size on disk: the file and its write-ahead log. */
function fileBytes(path: string): number {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(path) + size(`${path}-wal`);
}

/** `75.3 MB`, `812 kB`, `0 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** An age as `--older-than` takes it: `7d`, `12h`, `30m`; a duration otherwise. */
function formatAge(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return formatDuration(ms);
}
