import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";

/** The lines of a response body as they arrive (never the whole body at once); blank lines skipped. */
export async function* responseLines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (body === null) return;
  const lines = createInterface({
    input: Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line.trim() !== "") yield line;
}

/** A submission file's lines, read as a stream. */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line !== "") yield line;
}

/** Epoch ms of an RFC 3339 time (Anthropic) or of Unix seconds (OpenAI); undefined for none. */
export function epochMs(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
