import { isUtf8 } from "node:buffer";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { TextDecoder } from "node:util";

/** Something wrong with the input's bytes; `fatal` when nothing of it can be read as text. */
export interface DecodeProblem {
  line?: number | undefined;
  message: string;
  fatal: boolean;
}

export interface DecodeOptions {
  /** The input's name, for the conversion hint. */
  name: string;
  /** A canonical `--encoding` (see `inputEncoding`); UTF-8 when undefined. */
  encoding?: string | undefined;
  onProblem: (problem: DecodeProblem) => void;
}

const NEWLINE = 0x0a;

/**
 * The input as UTF-8 bytes, checked: UTF-8 passes through unchanged (after a check that is a few
 * microseconds a megabyte); another `--encoding` is converted. What cannot be right is reported:
 * the first byte that is not UTF-8, at its line (an Excel CSV in Windows-1252: `Jos\xe9` would
 * otherwise be sent as "Jos�"), and — before anything is read — a UTF-16 or UTF-32 file.
 */
export function decodeInput(stream: Readable, options: DecodeOptions): Readable {
  const decoder =
    options.encoding === undefined || options.encoding === "utf-8"
      ? new Utf8Check(options)
      : new Transcoder(options.encoding);
  stream.on("error", (error) => decoder.destroy(error));
  return stream.pipe(decoder);
}

/** Passes UTF-8 through, reporting the first invalid sequence and the first NUL byte. */
class Utf8Check extends Transform {
  private started = false;
  /** Nothing more is passed on: the input is not UTF-8 text at all. */
  private refused = false;
  /** The start of a character cut by the end of the previous chunk. */
  private carry: Buffer | undefined;
  /** Newlines passed on so far, while there is still something to locate. */
  private lines = 0;
  private invalidReported = false;

  constructor(private readonly options: DecodeOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, this.pass(chunk));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.rest());
  }

  /** What of `chunk` to pass on now: all of it but the start of a character cut at its end. */
  private pass(chunk: Buffer): Buffer | undefined {
    if (this.refused) return undefined;
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (!this.started) {
      if (bytes.length < 4 && !bytes.includes(NEWLINE)) {
        // Too little to tell UTF-16 from UTF-8 yet.
        this.carry = Buffer.from(bytes);
        return undefined;
      }
      if (this.refuseWide(bytes)) return undefined;
    }
    const cut = incompleteTail(bytes);
    if (cut > 0) {
      this.carry = Buffer.from(bytes.subarray(bytes.length - cut));
      bytes = bytes.subarray(0, bytes.length - cut);
    }
    this.check(bytes);
    return bytes.length > 0 ? bytes : undefined;
  }

  /** What was held back, at the end of the input. */
  private rest(): Buffer | undefined {
    const rest = this.carry;
    this.carry = undefined;
    if (this.refused || !rest) return undefined;
    if (!this.started && this.refuseWide(rest)) return undefined;
    this.check(rest);
    return rest;
  }

  /** Whether the input is UTF-16 or UTF-32 (then it is reported, and nothing more is passed on). */
  private refuseWide(first: Buffer): boolean {
    this.started = true;
    const wide = wideEncoding(first);
    if (!wide) return false;
    this.refused = true;
    this.options.onProblem({ fatal: true, message: wideMessage(wide, this.options.name) });
    return true;
  }

  private check(bytes: Buffer): void {
    if (this.invalidReported) return;
    if (!isUtf8(bytes)) {
      const at = Math.max(0, firstInvalid(bytes));
      this.invalidReported = true;
      this.options.onProblem({
        fatal: false,
        line: this.lineAt(bytes, at),
        message: invalidMessage(bytes, at, this.options.name),
      });
    }
    this.lines += countNewlines(bytes, bytes.length);
  }

  private lineAt(bytes: Buffer, offset: number): number {
    return this.lines + countNewlines(bytes, offset) + 1;
  }
}

/** Converts a legacy encoding (Windows-1252, UTF-16 …) to UTF-8. */
class Transcoder extends Transform {
  private decoder: TextDecoder | undefined;

  constructor(private readonly encoding: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.decoder ??= new TextDecoder(
      this.encoding === "utf-16"
        ? chunk[0] === 0xfe && chunk[1] === 0xff
          ? "utf-16be"
          : "utf-16le"
        : this.encoding,
    );
    this.pass(this.decoder.decode(chunk, { stream: true }), done);
  }

  override _flush(done: TransformCallback): void {
    this.pass(this.decoder?.decode() ?? "", done);
  }

  private pass(text: string, done: TransformCallback): void {
    done(null, text === "" ? undefined : Buffer.from(text, "utf8"));
  }
}

type WideEncoding = { name: string; label: string; bom: boolean };

/** UTF-16 or UTF-32, by its byte-order mark or by the NUL bytes beside each ASCII character. */
function wideEncoding(bytes: Buffer): WideEncoding | undefined {
  const [a, b, c, d] = bytes;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0)
    return { name: "UTF-32 little-endian", label: "UTF-32LE", bom: true };
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff)
    return { name: "UTF-32 big-endian", label: "UTF-32BE", bom: true };
  if (a === 0xff && b === 0xfe) return { name: "UTF-16 little-endian", label: "UTF-16LE", bom: true };
  if (a === 0xfe && b === 0xff) return { name: "UTF-16 big-endian", label: "UTF-16BE", bom: true };
  const pairs = Math.floor(Math.min(bytes.length, 1024) / 2);
  if (pairs < 2) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  if (oddZeros >= pairs * 0.3 && evenZeros <= pairs * 0.05)
    return { name: "UTF-16 little-endian", label: "UTF-16LE", bom: false };
  if (evenZeros >= pairs * 0.3 && oddZeros <= pairs * 0.05)
    return { name: "UTF-16 big-endian", label: "UTF-16BE", bom: false };
  return undefined;
}

function wideMessage(wide: WideEncoding, name: string): string {
  const how = wide.bom ? "it starts with a byte-order mark" : "NUL bytes beside each character";
  const hint = wide.label.startsWith("UTF-16") ? `give --encoding ${wide.label.toLowerCase()}, or ` : "";
  return (
    `the file is ${wide.name} (${how}), not UTF-8: ${hint}convert it: ` +
    `iconv -f ${wide.label} -t UTF-8 ${name} > ${utf8Name(name)}`
  );
}

function invalidMessage(bytes: Buffer, at: number, name: string): string {
  const lineStart = at === 0 ? 0 : bytes.lastIndexOf(NEWLINE, at - 1) + 1;
  const before = bytes.toString("utf8", Math.max(lineStart, at - 24), at);
  const byte = bytes[at] ?? 0;
  const where = before === "" ? "" : ` after "${before}"`;
  return (
    `not valid UTF-8 (byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")}${where}): the file is ` +
    "probably Windows-1252 or Latin-1, as Excel saves CSV: give --encoding cp1252, or convert it: " +
    `iconv -f CP1252 -t UTF-8 ${name} > ${utf8Name(name)}`
  );
}

function utf8Name(name: string): string {
  if (name === "<stdin>") return "input.utf8";
  const dot = name.lastIndexOf(".");
  return dot > name.lastIndexOf("/") && dot > 0
    ? `${name.slice(0, dot)}.utf8${name.slice(dot)}`
    : `${name}.utf8`;
}

/** How many bytes at the end of `bytes` start a character whose other bytes have not come yet. */
function incompleteTail(bytes: Buffer): number {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const byte = bytes[n - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte < 0xc0) return 0;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return length > back ? back : 0;
  }
  return 0;
}

/** The offset of the first byte that does not start a valid UTF-8 sequence; -1 when all are valid. */
export function firstInvalid(bytes: Buffer): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const byte = bytes[i] as number;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const more =
      byte >= 0xc2 && byte <= 0xdf
        ? 1
        : byte >= 0xe0 && byte <= 0xef
          ? 2
          : byte >= 0xf0 && byte <= 0xf4
            ? 3
            : 0;
    if (more === 0 || i + more >= n) return i;
    for (let k = 1; k <= more; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1] as number;
    // Overlong forms, UTF-16 surrogates, and code points past U+10FFFF.
    if (
      (byte === 0xe0 && second < 0xa0) ||
      (byte === 0xed && second > 0x9f) ||
      (byte === 0xf0 && second < 0x90) ||
      (byte === 0xf4 && second > 0x8f)
    )
      return i;
    i += more + 1;
  }
  return -1;
}

function countNewlines(bytes: Buffer, end: number): number {
  let count = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < end; i = bytes.indexOf(NEWLINE, i + 1)) count++;
  return count;
}
