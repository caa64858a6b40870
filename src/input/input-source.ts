import { createReadStream, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { InputError, UsageError } from "../core/errors.js";
import { detectInputFormat, INPUT_FORMATS, type InputFormat } from "./format.js";

/** Where the prompts come from: a file, or a stream given by the caller (stdin). */
export interface InputSource {
  /** The name used in messages: the path, or `<stdin>`. */
  name: string;
  /** The path as given, `-` for stdin. */
  path: string;
  format: InputFormat;
  /** `--encoding`, canonical (see `inputEncoding`); UTF-8 when undefined. */
  encoding?: string | undefined;
  /** `--delimiter` of a CSV or TSV; the format's own when undefined. */
  delimiter?: string | undefined;
  open(): Readable;
}

export interface InputSourceOptions {
  format?: string | undefined;
  encoding?: string | undefined;
  delimiter?: string | undefined;
  stdin?: Readable | undefined;
  cwd?: string | undefined;
}

/**
 * Checks that the input exists and its format is known, before anything else happens. A relative
 * path is read from `cwd` (the process's by default) and named in messages as given.
 */
export function openInputSource(path: string, options: InputSourceOptions = {}): InputSource {
  const format = detectInputFormat(path, options.format);
  if (!format) {
    if (options.format !== undefined) {
      throw new UsageError(`unknown --format "${options.format}" (known: ${INPUT_FORMATS.join(", ")})`);
    }
    throw new UsageError(
      `${path}: cannot tell the format from its extension; give --format ${INPUT_FORMATS.join("|")}`,
    );
  }
  if (options.delimiter !== undefined && format === "jsonl") {
    throw new UsageError("--delimiter applies to CSV and TSV input, not JSON");
  }
  const reading = {
    format,
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
  };
  if (path === "-") {
    const stdin = options.stdin;
    if (!stdin) throw new UsageError("reading from stdin ('-') is not available here");
    return { name: "<stdin>", path, ...reading, open: () => stdin };
  }
  const file = options.cwd === undefined ? path : resolve(options.cwd, path);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new InputError([{ file: path, message: why }]);
  }
  if (!isFile) throw new InputError([{ file: path, message: "not a file" }]);
  return { name: path, path, ...reading, open: () => createReadStream(file) };
}
