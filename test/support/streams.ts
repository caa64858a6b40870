import { Readable } from "node:stream";
import type { InputFormat } from "../../src/input/format.js";
import type { InputSource } from "../../src/input/input-source.js";

/**
 * A stream of `text` as UTF-8, cut into chunks of `chunkSize` bytes: small chunks split multi-byte
 * characters and CRLF pairs across reads, as a file stream may.
 */
export function textStream(text: string, chunkSize?: number): Readable {
  const bytes = Buffer.from(text);
  const size = chunkSize ?? Math.max(1, bytes.length);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

/** An input source over in-memory text, named like a file so problems read `name:line: …`. */
export function textSource(name: string, format: InputFormat, text: string): InputSource {
  return { name, path: name, format, open: () => textStream(text) };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}
