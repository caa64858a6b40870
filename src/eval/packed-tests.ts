import { deserialize, serialize } from "node:v8";
import type { EvalTest } from "./config/types.js";

/** Tests by position: an array, or `PackedTests`. */
export interface TestList {
  readonly length: number;
  at(index: number): EvalTest | undefined;
}

/** Tests a chunk: small enough to unpack in ~1 ms, large enough that the buffers cost little. */
const CHUNK = 1_024;

/**
 * An eval's tests kept off the JavaScript heap while it runs: serialized (V8's structured clone, which
 * keeps every plain value as it is) in chunks of 1,024, and a chunk unpacked when one of its tests is
 * asked for. Why: V8 lets the heap grow to about four times what is live before it collects again, so
 * 100,000 tests held as objects (~27 MB) cost ~100 MB more at the peak; packed they are ~12 MB of
 * buffers the collector neither traces nor sizes the heap by. Rows ask for tests in order (a test's
 * rows follow one another), so each chunk is unpacked once a pass.
 */
export class PackedTests implements TestList {
  private readonly chunks: Buffer[] = [];
  private unpacked: { chunk: number; tests: EvalTest[] } | undefined;
  readonly length: number;

  constructor(tests: TestList) {
    this.length = tests.length;
    for (let start = 0; start < tests.length; start += CHUNK) {
      const chunk: EvalTest[] = [];
      for (let i = start; i < Math.min(start + CHUNK, tests.length); i++) chunk.push(tests.at(i) as EvalTest);
      this.chunks.push(serialize(chunk));
    }
  }

  at(index: number): EvalTest | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const chunk = Math.floor(index / CHUNK);
    if (this.unpacked?.chunk !== chunk) {
      this.unpacked = { chunk, tests: deserialize(this.chunks[chunk] as Buffer) as EvalTest[] };
    }
    return this.unpacked.tests[index - chunk * CHUNK];
  }
}
