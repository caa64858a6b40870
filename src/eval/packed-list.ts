import { deserialize, serialize } from "node:v8";

/** Items by position: an array, or a `PackedList`. */
export interface ListByIndex<T> {
  readonly length: number;
  at(index: number): T | undefined;
}

/** Items a chunk: small enough to unpack in about a millisecond, large enough that the buffers cost little. */
const CHUNK = 1_024;

/**
 * Plain data (an eval's tests, as they are read) kept off the JavaScript heap: serialized with V8's
 * structured clone, which keeps every plain value as it is, in chunks of 1,024, and a chunk unpacked
 * when one of its items is asked for. Why: V8 lets the heap grow to about four times what is live
 * before it collects again, so 100,000 tests held as objects (~27 MB) cost ~100 MB more at the peak,
 * and more with every test; packed they are ~12 MB of buffers the collector neither traces nor sizes
 * the heap by. Items are asked for in order (a test's rows follow one another), so each chunk is
 * unpacked once a pass.
 */
export class PackedList<T> implements ListByIndex<T> {
  private unpacked: { chunk: number; items: T[] } | undefined;

  private constructor(
    private readonly chunks: readonly Buffer[],
    readonly length: number,
  ) {}

  /** Packs items given one at a time: only the chunk being filled is held as objects. */
  static builder<T>(): PackedListBuilder<T> {
    const chunks: Buffer[] = [];
    let filling: T[] = [];
    let length = 0;
    return {
      add(item) {
        filling.push(item);
        length++;
        if (filling.length === CHUNK) {
          chunks.push(serialize(filling));
          filling = [];
        }
      },
      finish() {
        if (filling.length > 0) chunks.push(serialize(filling));
        filling = [];
        return new PackedList<T>(chunks, length);
      },
    };
  }

  static of<T>(items: ListByIndex<T>): PackedList<T> {
    const builder = PackedList.builder<T>();
    for (let index = 0; index < items.length; index++) builder.add(items.at(index) as T);
    return builder.finish();
  }

  at(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const chunk = Math.floor(index / CHUNK);
    if (this.unpacked?.chunk !== chunk) {
      this.unpacked = { chunk, items: deserialize(this.chunks[chunk] as Buffer) as T[] };
    }
    return this.unpacked.items[index - chunk * CHUNK];
  }
}

export interface PackedListBuilder<T> {
  add(item: T): void;
  finish(): PackedList<T>;
}
