import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { UsageError } from "../core/errors.js";
import type { ItemResult } from "../core/types.js";

/** What the optimization was computed from: a change to any of them refuses to resume. */
export interface OptimizeInputs {
  data: string;
  split: string;
  scorer: string;
  source: string;
}

/** Who a request was for: the task model, the proposer (and, later, a judge). */
export type Role = "task" | "proposer" | "judge";

/**
 * The optimization's checkpoint: every answer paid for, by request hash, appended (one JSON line,
 * written synchronously) the moment it arrives. A rerun replays them — the loop is deterministic
 * in its answers, so it makes the same choices and pays nothing twice — and a kill -9 loses at most
 * the requests in flight. The first line holds the input hashes; a journal of other inputs is
 * refused unless `--fresh`.
 */
export class Journal {
  private readonly answers = new Map<string, { role: Role; result: ItemResult }>();
  /** What the answers in the journal cost, in the order they were written. */
  private paidUsd = 0;

  private constructor(
    readonly path: string,
    readonly resumed: boolean,
  ) {}

  /** A journal that keeps nothing on disk (a dry run: nothing is sent, nothing written). */
  static inMemory(): Journal {
    return new Journal("", false);
  }

  static open(path: string, inputs: OptimizeInputs, fresh: boolean): Journal {
    if (fresh) rmSync(path, { force: true });
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify({ format: "metasync-optimize-journal/1", inputs })}\n`);
      return new Journal(path, false);
    }
    const lines = readFileSync(path, "utf8").split("\n");
    const header = parse(lines[0] ?? "") as { inputs?: OptimizeInputs } | undefined;
    const changed = (Object.keys(inputs) as (keyof OptimizeInputs)[]).filter(
      (name) => header?.inputs?.[name] !== inputs[name],
    );
    if (changed.length > 0) {
      const what = changed.map((name) => (name === "source" ? "source prompt" : name)).join(", ");
      throw new UsageError(
        `an optimization of this output was started with a different ${what}; rerun with --fresh to start over (its paid answers are then discarded), or give another -o`,
      );
    }
    const journal = new Journal(path, true);
    for (const line of lines.slice(1)) {
      // A line cut short by a kill is the one request that was being written: it is sent again.
      const entry = parse(line) as { h: string; role: Role; r: ItemResult } | undefined;
      if (!entry?.h || !entry.r) continue;
      journal.answers.set(entry.h, { role: entry.role, result: entry.r });
      journal.paidUsd += entry.r.cost_usd ?? 0;
    }
    return journal;
  }

  get(hash: string): ItemResult | undefined {
    return this.answers.get(hash)?.result;
  }

  /** Keeps an answer; only answers (not failures) are kept, so a rerun sends a failed request again. */
  record(hash: string, role: Role, result: ItemResult): void {
    if (result.status !== "ok" || this.answers.has(hash)) return;
    this.answers.set(hash, { role, result });
    this.paidUsd += result.cost_usd ?? 0;
    if (this.path === "") return;
    appendFileSync(this.path, `${JSON.stringify({ h: hash, role, r: result })}\n`);
  }

  /** What the journal's answers cost when they were paid for (in this process or an earlier one). */
  get spentUsd(): number {
    return this.paidUsd;
  }

  get size(): number {
    return this.answers.size;
  }
}

function parse(line: string): unknown {
  if (line.trim() === "") return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
