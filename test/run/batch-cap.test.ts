import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StoppedEarlyError } from "../../src/core/errors.js";
import type { BatchCapability } from "../../src/core/provider.js";
import type { Item, ItemResult } from "../../src/core/types.js";
import { itemCost, worstCaseCost } from "../../src/cost/item-cost.js";
import { SpendingCap } from "../../src/engine/spending-cap.js";
import { type Admit, cutChunks, type ReadyChunk } from "../../src/run/batch-chunks.js";
import { holdUnreserved } from "../../src/run/provider-batches.js";
import { StateStore } from "../../src/store/state-store.js";

let store: StateStore | undefined;
afterEach(() => store?.close());

const item = (index: number): Item => ({
  index,
  id: `i${index}`,
  line: index + 1,
  request: {
    model: { provider: "openai", model: "m" },
    messages: [{ role: "user", content: `prompt ${index}` }],
    params: {},
  },
});

/** A state database with a run of `n` openai items, and the run's provider batches. */
function bookOf(n: number) {
  store = StateStore.open(join(mkdtempSync(join(tmpdir(), "metasync-batch-cap-")), "state.db"));
  const run = store.createRun({
    key: "k",
    name: null,
    slug: "t",
    inputPath: "/x",
    optionsFingerprint: "o",
    options: {},
  });
  const ingest = store.ingest(run.id);
  const items = Array.from({ length: n }, (_, i) => item(i));
  for (const it of items) ingest.add(it);
  ingest.finish({ fingerprint: "f", total: n, csvHeader: undefined });
  return { s: store, runId: run.id, book: store.providerBatches(run.id), items };
}

const capability = {
  limits: { requests: 100, bytes: 1 << 20 },
  mixesModels: false,
  encode: (request: { customId: string }) => JSON.stringify(request),
} as unknown as BatchCapability;

const key = { provider: "openai", key: "sk", fingerprint: "f", scope: "s", baseUrl: undefined };

/** Cuts the free items with `admit`; returns the chunks handed to submit, and whether the cap stopped the cut. */
async function cut(book: ReturnType<typeof bookOf>["book"], admit: Admit) {
  const chunks: ReadyChunk[] = [];
  const capped = await cutChunks(
    book,
    "openai",
    capability,
    () => key,
    { requests: 100, bytes: 1 << 20, queueTokens: undefined },
    () => 0,
    mkdtempSync(join(tmpdir(), "metasync-batch-cap-files-")),
    async (chunk) => {
      chunks.push(chunk);
    },
    admit,
  );
  return { chunks, capped };
}

/** Admission against `cap`, each item's worst case `worst`, the refusal kept. */
function admitting(cap: SpendingCap, worst: number) {
  const refused: StoppedEarlyError[] = [];
  const admit: Admit = () => {
    try {
      return cap.reserve(worst).usd;
    } catch (error) {
      refused.push(error as StoppedEarlyError);
      return undefined;
    }
  };
  return { admit, refused };
}

const answer = (it: Item, cost: number): ItemResult => ({
  id: it.id,
  status: "ok",
  output: "a",
  model: "openai:m",
  usage: { input_tokens: 1, output_tokens: 1 },
  cost_usd: cost,
  latency_ms: 1,
  attempts: 1,
  finish_reason: "stop",
  error: null,
});

describe("--max-cost in batch mode: the arithmetic", () => {
  it("the worst case at the batch price is the list worst case less the batch discount", () => {
    const price = { input: 1000, output: 3000, batch_discount: 0.5 };
    // (100 × 1,000 + 10 × 3,000) / 10^6 = 0.13 at list price, half of it in a batch.
    expect(worstCaseCost(price, 100, 10)).toBe(0.13);
    expect(worstCaseCost(price, 100, 10, undefined, { batch: true })).toBe(0.065);
    // The same rounding as an answer's real cost at the batch price.
    expect(worstCaseCost(price, 100, 10, undefined, { batch: true })).toBe(
      itemCost({ input_tokens: 100, output_tokens: 10 }, price, { batch: true }),
    );
  });

  it("a chunk is cut to what fits beside what is spent and what open batches hold", async () => {
    const { book } = bookOf(6);
    // $0.50 spent, $1 held by open batches, a $4 cap, $1 a request: two fit.
    const cap = new SpendingCap(4, 0.5, 1);
    const { admit, refused } = admitting(cap, 1);
    const { chunks, capped } = await cut(book, admit);
    expect(capped).toBe(true);
    expect(chunks.map((chunk) => chunk.size)).toEqual([2]);
    expect(refused[0]?.message).toMatch(
      /spending cap reached: \$0\.500 spent of --max-cost \$4 \(\$3\.00 more in flight\)/,
    );
    // The two hold their worst cases in the database; the other four are free, holding nothing.
    expect(book.reservedUsd()).toBe(2);
    expect([...book.freeItems("openai")].map((free) => free.index)).toEqual([2, 3, 4, 5]);
  });

  it("a result replaces its item's reservation with its real cost; an item back in the queue holds nothing", async () => {
    const { s, runId, book, items } = bookOf(4);
    const { admit } = admitting(new SpendingCap(10, 0), 1.5);
    const { chunks, capped } = await cut(book, admit);
    expect(capped).toBe(false);
    expect(chunks.map((chunk) => chunk.size)).toEqual([4]);
    expect(book.reservedUsd()).toBe(6);

    const ledger = s.ledger(runId, { emitted: false });
    ledger.record(items[0] as Item, answer(items[0] as Item, 0.25));
    await ledger.flush();
    expect(book.reservedUsd()).toBe(4.5);
    expect(s.spentUsd(runId)).toBe(0.25);

    book.requeue(1, 0);
    expect(book.reservedUsd()).toBe(3);
    book.settle(chunks[0]?.nonce as string);
    expect(book.reservedUsd()).toBe(0);

    // The next cut starts from the database: $0.25 spent, nothing held; $1.50 each, a $3.30 cap: two.
    const again = admitting(new SpendingCap(3.3, s.spentUsd(runId), book.reservedUsd()), 1.5);
    const next = await cut(book, again.admit);
    expect(next.capped).toBe(true);
    expect(next.chunks.map((chunk) => chunk.size)).toEqual([2]);
    expect(book.reservedUsd()).toBe(3);
  });

  it("items of batches submitted without a cap hold their worst case from the first capped call", async () => {
    const { book } = bookOf(3);
    const chunks: ReadyChunk[] = [];
    await cutChunks(
      book,
      "openai",
      capability,
      () => key,
      { requests: 100, bytes: 1 << 20, queueTokens: undefined },
      () => 0,
      mkdtempSync(join(tmpdir(), "metasync-batch-cap-files-")),
      async (chunk) => {
        chunks.push(chunk);
      },
    );
    expect(book.reservedUsd()).toBe(0);
    holdUnreserved(book, (it) => 0.5 + it.index);
    expect(book.reservedUsd()).toBe(0.5 + 1.5 + 2.5);
    // Held once: a second call changes nothing.
    holdUnreserved(book, () => 100);
    expect(book.reservedUsd()).toBe(4.5);
  });

  it("without a cap, items hold nothing", async () => {
    const { book } = bookOf(3);
    const chunks: ReadyChunk[] = [];
    const capped = await cutChunks(
      book,
      "openai",
      capability,
      () => key,
      { requests: 100, bytes: 1 << 20, queueTokens: undefined },
      () => 0,
      mkdtempSync(join(tmpdir(), "metasync-batch-cap-files-")),
      async (chunk) => {
        chunks.push(chunk);
      },
    );
    expect(capped).toBe(false);
    expect(chunks.map((chunk) => chunk.size)).toEqual([3]);
    expect(book.reservedUsd()).toBe(0);
  });
});
