import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { JsonArrayParser } from "./json-array.js";
import type { ReaderOutput } from "./raw-row.js";

/**
 * Reads JSON Lines, one object a line; blank lines are skipped. An input whose first character is
 * `[` is one JSON array of rows instead (a `.json` export, `jq`'s output): a JSON Lines file cannot
 * start with one, so there is nothing to choose.
 */
export async function* readJsonl(stream: Readable): AsyncGenerator<ReaderOutput> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let array: JsonArrayParser | undefined;
  let started = false;
  for await (let text of lines) {
    line++;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (array) {
      yield* array.push(text, line);
      continue;
    }
    if (text.trim() === "") continue;
    if (!started) {
      started = true;
      if (text.trimStart().startsWith("[")) {
        array = new JsonArrayParser();
        yield* array.push(text, line);
        continue;
      }
    }
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
  if (array) yield* array.end();
}
