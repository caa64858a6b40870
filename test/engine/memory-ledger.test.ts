import { describe, expect, it } from "vitest";
import { MemoryLedger } from "../../src/engine/memory-ledger.js";
import { fakeItems } from "../support/fake-items.js";

describe("MemoryLedger", () => {
  it("hands each item out once, in order, a page at a time", () => {
    const ledger = new MemoryLedger(fakeItems(5));
    expect(ledger.nextPending(2).map((i) => i.id)).toEqual(["item-1", "item-2"]);
    expect(ledger.nextPending(10).map((i) => i.id)).toEqual(["item-3", "item-4", "item-5"]);
    expect(ledger.nextPending(10)).toEqual([]);
  });

  it("keeps results by id and lists entries in input order, pending ones without a result", () => {
    const items = fakeItems(3);
    const ledger = new MemoryLedger(items);
    const result = {
      id: "item-2",
      status: "ok" as const,
      output: "x",
      model: "fake:m",
      usage: null,
      cost_usd: null,
      latency_ms: 1,
      attempts: 1,
      finish_reason: "stop",
      error: null,
    };
    ledger.record(items[1]!, result);
    expect(ledger.results.get("item-2")).toBe(result);
    expect(ledger.entries().map((e) => [e.item.id, e.result?.output])).toEqual([
      ["item-1", undefined],
      ["item-2", "x"],
      ["item-3", undefined],
    ]);
  });
});
