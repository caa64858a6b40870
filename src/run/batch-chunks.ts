import { randomBytes } from "node:crypto";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { BatchCapability } from "../core/provider.js";
import { formatModelRef, type ItemRequest } from "../core/types.js";
import type { BatchItem, NewChunk, ProviderBatchBook } from "../store/provider-batch-book.js";
import type { BatchKey } from "./batch-keys.js";

/** A nonce: random, recorded with the chunk before any call; 12 hex characters. */
export function newNonce(): string {
  return randomBytes(6).toString("hex");
}

/** An item's custom_id in a chunk's batch: the chunk's nonce, then the item's index (`[a-zA-Z0-9_-]`, ≤ 64). */
export function customIdOf(nonce: string, index: number): string {
  return `${nonce}-${index}`;
}

/** The chunk nonce and item index a custom_id names, or undefined for one metasync did not write. */
export function readCustomId(customId: string): { nonce: string; index: number } | undefined {
  const match = /^([0-9a-f]{12})-(\d+)$/.exec(customId);
  return match ? { nonce: match[1] as string, index: Number(match[2]) } : undefined;
}

/** Where a chunk's submission file is written: its name carries the nonce (OpenAI's upload keeps the name). */
export function chunkPath(dir: string, nonce: string): string {
  return join(dir, `metasync-${nonce}.jsonl`);
}

/** Prompt tokens of a request, estimated at 4 characters a token: what OpenAI's enqueued-token cap counts. */
export function estimatedTokens(request: ItemRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    chars +=
      typeof message.content === "string" ? message.content.length : JSON.stringify(message.content).length;
  }
  return Math.ceil(chars / 4) + 4 * request.messages.length;
}

/** A submission file written through a small buffer: the chunk is never held whole in memory. */
export class ChunkFile {
  private readonly fd: number;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w", 0o600);
  }

  write(line: string): void {
    this.buffer.push(line, "\n");
    this.buffered += line.length + 1;
    if (this.buffered >= 1 << 20) this.drain();
  }

  close(): void {
    this.drain();
    closeSync(this.fd);
  }

  private drain(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
    this.buffered = 0;
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** Writes a recorded chunk's submission file again from its items (after a crash, or a failed submit). */
export function rewriteChunk(
  book: ProviderBatchBook,
  capability: BatchCapability,
  nonce: string,
  dir: string,
): string {
  const file = new ChunkFile(chunkPath(dir, nonce));
  try {
    for (const item of book.chunkItems(nonce)) {
      file.write(capability.encode({ customId: customIdOf(nonce, item.index), request: completionOf(item) }));
    }
  } finally {
    file.close();
  }
  return file.path;
}

function completionOf(item: BatchItem) {
  return { model: item.request.model.model, messages: item.request.messages, params: item.request.params };
}

/** A chunk recorded in the database with its file written: ready to submit. */
export interface ReadyChunk {
  nonce: string;
  model: string;
  path: string;
  size: number;
  /** Estimated prompt tokens (the enqueued-token cap). */
  tokens: number;
  key: BatchKey;
}

export interface ChunkLimits {
  /** `--batch-size`, within the provider's own limit. */
  requests: number;
  bytes: number;
  /** `--batch-queue-tokens`: most estimated prompt tokens enqueued per scope and model, or none. */
  queueTokens: number | undefined;
}

interface OpenChunk {
  nonce: string;
  key: BatchKey;
  model: string;
  file: ChunkFile;
  indexes: number[];
  /** What each item holds against `--max-cost` (with a cap). */
  reserved: number[];
  bytes: number;
  tokens: number;
}

/**
 * `--max-cost` while cutting: what an item would hold against the cap in a batch, or undefined when
 * that would cross the cap (cutting then stops: what is cut so far is submitted, the rest waits).
 */
export type Admit = (item: BatchItem) => number | undefined;

/**
 * Cuts a provider's free pending items into chunks within its limits, grouped by model where a batch
 * holds one model, each on the next key scope; records each chunk with its nonce and items, then
 * hands it to `ready` (which submits it) before the next is cut. Items that would overfill a scope's
 * enqueued-token allowance (`enqueued`, what its open batches hold already) stay for a later pass.
 * With `admit` (`--max-cost`) each item is admitted before it goes in; the first refused ends the
 * cutting, the chunk being cut is cut short to what fits, and `true` (capped) is returned.
 */
export async function cutChunks(
  book: ProviderBatchBook,
  provider: string,
  capability: BatchCapability,
  pick: (model: string) => BatchKey | undefined,
  limits: ChunkLimits,
  enqueued: (scope: string, model: string) => number,
  dir: string,
  ready: (chunk: ReadyChunk) => Promise<void>,
  admit?: Admit,
): Promise<boolean> {
  const open = new Map<string, OpenChunk>();
  const full = new Set<string>();
  const maxRequests = Math.min(limits.requests, capability.limits.requests);
  const close = async (group: string, chunk: OpenChunk) => {
    open.delete(group);
    chunk.file.close();
    if (chunk.indexes.length === 0) {
      removeFile(chunk.file.path);
      return;
    }
    const record: NewChunk = {
      nonce: chunk.nonce,
      provider,
      model: chunk.model,
      scope: chunk.key.scope,
      keyFingerprint: chunk.key.fingerprint,
      tokens: chunk.tokens,
    };
    const size = book.recordChunk(record, chunk.indexes, admit ? chunk.reserved : undefined);
    await ready({
      nonce: chunk.nonce,
      model: chunk.model,
      path: chunk.file.path,
      size,
      tokens: chunk.tokens,
      key: chunk.key,
    });
  };
  let capped = false;
  /** A new chunk for the model with its own nonce, the open one from now on. */
  const startChunk = (key: OpenChunk["key"], model: string): OpenChunk => {
    const nonce = newNonce();
    const chunk: OpenChunk = {
      nonce,
      key,
      model,
      file: new ChunkFile(chunkPath(dir, nonce)),
      indexes: [],
      reserved: [],
      bytes: 0,
      tokens: 0,
    };
    open.set(model, chunk);
    return chunk;
  };
  for (const item of book.freeItems(provider)) {
    const model = capability.mixesModels ? "*" : formatModelRef(item.request.model);
    if (full.has(model)) continue;
    let chunk = open.get(model);
    if (!chunk) {
      const key = pick(model);
      if (!key) {
        full.add(model);
        continue;
      }
      chunk = startChunk(key, model);
    }
    const line = capability.encode({
      customId: customIdOf(chunk.nonce, item.index),
      request: completionOf(item),
    });
    const bytes = Buffer.byteLength(line) + 1;
    const tokens = estimatedTokens(item.request);
    const room =
      limits.queueTokens === undefined
        ? Number.POSITIVE_INFINITY
        : limits.queueTokens - enqueued(chunk.key.scope, model) - chunk.tokens;
    if (chunk.indexes.length === 0 && tokens > room && enqueued(chunk.key.scope, model) > 0) {
      // Not even this one fits beside what is enqueued already: wait for batches to end. (Alone, with
      // nothing enqueued, a request larger than the allowance still goes: no deadlock.)
      await close(model, chunk);
      full.add(model);
      continue;
    }
    if (chunk.indexes.length > 0 && (chunk.bytes + bytes > limits.bytes || tokens > room)) {
      // This item starts the next chunk: the line is encoded again with that chunk's nonce.
      await close(model, chunk);
      if (tokens > room && limits.queueTokens !== undefined) {
        // The scope's queue is full for this model: the rest waits for batches to end.
        full.add(model);
        continue;
      }
      const key = pick(model);
      if (!key) {
        full.add(model);
        continue;
      }
      chunk = startChunk(key, model);
      const reserved = admit?.(item);
      if (admit && reserved === undefined) {
        capped = true;
        break;
      }
      const again = capability.encode({
        customId: customIdOf(chunk.nonce, item.index),
        request: completionOf(item),
      });
      chunk.file.write(again);
      chunk.bytes += Buffer.byteLength(again) + 1;
      chunk.reserved.push(reserved ?? 0);
    } else {
      const reserved = admit?.(item);
      if (admit && reserved === undefined) {
        // The cap: this chunk is cut short to what fits; nothing more is cut.
        capped = true;
        break;
      }
      chunk.file.write(line);
      chunk.bytes += bytes;
      chunk.reserved.push(reserved ?? 0);
    }
    chunk.indexes.push(item.index);
    chunk.tokens += tokens;
    if (chunk.indexes.length >= maxRequests) await close(model, chunk);
  }
  for (const [group, chunk] of [...open]) await close(group, chunk);
  return capped;
}
