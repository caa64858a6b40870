import { describe, expect, it } from "vitest";
import type { ItemRequest, ItemResult, ModelRef } from "../../../src/core/types.js";
import { Grader } from "../../../src/eval/grader/grader.js";
import type { SendingSession } from "../../../src/session/sending-session.js";
import type { JudgeCallLog } from "../../../src/store/state-store.js";

const JUDGE: ModelRef = { provider: "mock", model: "grader" };

/** The state database's judge-call log, in memory: kept answers by hash. */
function memoryLog(): JudgeCallLog {
  const kept = new Map<string, string>();
  return {
    given: (hash) => (kept.has(hash) ? (JSON.parse(kept.get(hash) as string) as ItemResult) : undefined),
    cached: () => undefined,
    save: (hash, result) => void kept.set(hash, JSON.stringify(result)),
  };
}

/** A session that answers every judge call at $0.5, counting what it was sent. */
function session() {
  const sent: ItemRequest[] = [];
  const open = async () =>
    ({
      async send(request: ItemRequest): Promise<ItemResult> {
        sent.push(request);
        return { status: "ok", output: '{"pass": true}', cost_usd: 0.5 } as ItemResult;
      },
    }) as unknown as SendingSession;
  return { open, sent };
}

describe("Grader: a judge call shared by rows is paid once", () => {
  it("by the row that asked first, and by the same row when a rerun takes the answer from the log", async () => {
    const log = memoryLog();
    const { open, sent } = session();
    const messages = [{ role: "user" as const, content: "shared g-eval steps" }];

    const first = new Grader({ session: open, log });
    const [row1, row0] = await Promise.all([
      first.complete(JUDGE, messages, undefined, {}, "1"),
      first.complete(JUDGE, messages, undefined, {}, "0"),
    ]);
    expect([row0.costUsd, row1.costUsd]).toEqual([0, 0.5]);
    expect(sent).toHaveLength(1);

    // The rerun asks in the other order: the answer comes from the log, and row 1 still pays.
    const rerun = new Grader({ session: open, log });
    const again0 = await rerun.complete(JUDGE, messages, undefined, {}, "0");
    const again1 = await rerun.complete(JUDGE, messages, undefined, {}, "1");
    expect([again0.costUsd, again1.costUsd]).toEqual([0, 0.5]);
    expect(sent).toHaveLength(1);
  });

  it("without rows named, the first to ask pays", async () => {
    const { open } = session();
    const grader = new Grader({ session: open, log: memoryLog() });
    const messages = [{ role: "user" as const, content: "one call" }];
    const a = await grader.complete(JUDGE, messages);
    const b = await grader.complete(JUDGE, messages);
    expect([a.costUsd, b.costUsd]).toEqual([0.5, 0]);
  });
});
