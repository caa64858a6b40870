import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { ReaderOutput } from "./raw-row.js";

/** Reads JSON Lines, one object a line; blank lines are skipped. */
export async function* readJsonl(stream: Readable): AsyncGenerator<ReaderOutput> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (let text of lines) {
    line++;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { kind: "problem", line, message: `malformed JSON: ${(error as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
      yield { kind: "problem", line, message: `expected a JSON object, got ${got}` };
      continue;
    }
    yield { kind: "json", line, value: value as Record<string, unknown> };
  }
}
