import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Item, ItemResult } from "../../src/core/types.js";
import { type Endpoints, StateStore } from "../../src/store/state-store.js";

let store: StateStore;
afterEach(() => store?.close());

function openStore(): StateStore {
  store = StateStore.open(join(mkdtempSync(join(tmpdir(), "metasync-store-")), "state.db"));
  return store;
}

const item = (index: number, prompt = `prompt ${index}`): Item => ({
  index,
  id: `i${index}`,
  line: index + 1,
  request: {
    model: { provider: "mock", model: "echo" },
    messages: [{ role: "user", content: prompt }],
    params: {},
  },
});

const ok = (it: Item): ItemResult => ({
  id: it.id,
  status: "ok",
  output: `answer ${it.index}`,
  model: "mock:echo",
  usage: { input_tokens: 1, output_tokens: 2 },
  cost_usd: null,
  latency_ms: 5,
  attempts: 1,
  finish_reason: "stop",
  error: null,
});

function newRun(s: StateStore, items: Item[], endpoints?: Endpoints) {
  const run = s.createRun({
    key: "k",
    name: null,
    slug: "t",
    inputPath: "/x",
    optionsFingerprint: "o",
    options: {},
  });
  const ingest = s.ingest(run.id, endpoints);
  for (const it of items) {
    expect(ingest.add(it)).toBeUndefined();
  }
  ingest.finish({ fingerprint: "f", total: items.length, csvHeader: undefined });
  return run;
}

describe("StateStore", () => {
  it("ingests items, hands out pending ones in pages in input order, and claims ids once", () => {
    const s = openStore();
    const run = newRun(
      s,
      [0, 1, 2, 3, 4].map((i) => item(i)),
    );
    const ingest = s.ingest(run.id);
    expect(ingest.add({ ...item(9), id: "i3", line: 99 })).toBe(4);
    const ledger = s.ledger(run.id, { emitted: false });
    expect(ledger.nextPending(2).map((i) => i.id)).toEqual(["i0", "i1"]);
    expect(ledger.nextPending(10).map((i) => i.id)).toEqual(["i2", "i3", "i4"]);
    expect(ledger.nextPending(10)).toEqual([]);
  });

  it("commits results in groups; nothing counts as done before the commit", () => {
    const s = openStore();
    const items = [0, 1, 2].map((i) => item(i));
    const run = newRun(s, items);
    const committed: string[] = [];
    const ledger = s.ledger(run.id, {
      emitted: true,
      onCommitted: (batch) => committed.push(...batch.map((c) => c.item.id)),
    });
    for (const it of items) ledger.record(it, ok(it));
    expect(s.counts(run.id)).toEqual({ total: 3, ok: 0, failed: 0, pending: 3 });
    expect(committed).toEqual([]);
    ledger.flush();
    expect(s.counts(run.id)).toEqual({ total: 3, ok: 3, failed: 0, pending: 0 });
    expect(committed).toEqual(["i0", "i1", "i2"]);
    expect([...s.entries(run.id, { unemittedOnly: true })]).toEqual([]);
  });

  it("answers identical requests from the response cache, in another run", () => {
    const s = openStore();
    const first = newRun(s, [item(0, "same"), item(1, "other")]);
    const ledger = s.ledger(first.id, { emitted: false });
    const [a] = ledger.nextPending(1);
    ledger.record(a as Item, ok(a as Item));
    ledger.flush();

    const second = newRun(s, [item(0, "same"), item(1, "new")]);
    expect(s.applyCache(second.id)).toBe(1);
    const entries = [...s.entries(second.id)];
    expect(entries[0]?.result).toMatchObject({
      id: "i0",
      output: "answer 0",
      cached: true,
      attempts: 0,
      cost_usd: 0,
    });
    expect(entries[1]?.result).toBeUndefined();
  });

  it("commits results before the event loop does anything else: a crash loses no answer received", async () => {
    const s = openStore();
    const items = [0, 1, 2].map((i) => item(i));
    const run = newRun(s, items);
    const visible: number[] = [];
    // Another connection sees what a process resuming after kill -9 would see.
    const resumer = StateStore.open(s.path);
    try {
      const ledger = s.ledger(run.id, {
        emitted: true,
        // Printed only once committed: the other connection must already see the results.
        onCommitted: () => visible.push(resumer.counts(run.id).ok),
      });
      for (const it of items) ledger.record(it, ok(it));
      expect(visible).toEqual([]);
      // Before the next task (another response read, another request sent): only microtasks run.
      await Promise.resolve();
      expect(resumer.counts(run.id)).toEqual({ total: 3, ok: 3, failed: 0, pending: 0 });
      expect(visible).toEqual([3]);
    } finally {
      resumer.close();
    }
  });

  it("keys the response cache by endpoint: an answer from one endpoint is not reused for another", () => {
    const s = openStore();
    const mock: Endpoints = { mock: ["http://127.0.0.1:9999/v1"] };
    const rehearsal = newRun(s, [item(0, "same")], mock);
    const ledger = s.ledger(rehearsal.id, { emitted: false });
    for (const it of ledger.nextPending(10)) ledger.record(it, ok(it));
    ledger.flush();

    expect(s.applyCache(newRun(s, [item(0, "same")]).id)).toBe(0);
    expect(s.applyCache(newRun(s, [item(0, "same")], { mock: ["https://elsewhere/v1"] }).id)).toBe(0);
    expect(s.applyCache(newRun(s, [item(0, "same")], mock).id)).toBe(1);
    // Another provider's endpoint is not this request's.
    expect(s.applyCache(newRun(s, [item(0, "same")], { ...mock, anthropic: ["http://x"] }).id)).toBe(1);
  });

  it("puts failed items back in the queue with retryFailed", () => {
    const s = openStore();
    const items = [item(0), item(1)];
    const run = newRun(s, items);
    const ledger = s.ledger(run.id, { emitted: false });
    ledger.record(items[0] as Item, {
      ...ok(items[0] as Item),
      status: "error",
      output: null,
      error: { type: "bad_request", message: "no" },
    });
    ledger.flush();
    expect(s.errorsByType(run.id)).toEqual([{ type: "bad_request", count: 1 }]);
    expect(s.retryFailed(run.id)).toBe(1);
    expect(s.counts(run.id).pending).toBe(2);
  });
});
