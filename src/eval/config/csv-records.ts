/**
 * A fast reader for the CSV files most test files are: it reads what csv-parse (with `columns:
 * true`, `bom: true`, strict quotes) reads to the same records, and gives up — returns false — on
 * anything else, so the caller reads the file with csv-parse itself and reports its problems at
 * their lines. It gives up on: a delimiter other than one ASCII character, a file without a record,
 * line ends that are not all `\n` or all `\r\n`, a quote inside an unquoted field or after a
 * closing quote, a quote never closed, a record whose length is not the header's, and a
 * `__proto__` column. (csv-parse takes 15–20 µs a record with `info`; this about 1 µs.)
 */

/** Called with the header (index 0), then each record in order; `fields` is not kept by the reader. */
export type CsvRecordSink = (fields: string[], index: number) => void;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads the file's UTF-8 bytes: each field is a new string of its own (as csv-parse makes them),
 * not a slice that would keep the whole file in memory for as long as one value of it is kept.
 * The file is checked whole before the first record is given: a file it leaves to csv-parse gives
 * none.
 */
export function readSimpleCsv(bytes: Buffer, delimiter: string, onRecord: CsvRecordSink): boolean {
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) >= 0x80) return false;
  const d = delimiter.charCodeAt(0);
  if (d === QUOTE || d === LF || d === CR) return false;
  return scan(bytes, d, undefined) && scan(bytes, d, onRecord);
}

/** One pass over the records; without a sink, only whether the file is one this reader reads. */
function scan(buf: Buffer, d: number, onRecord: CsvRecordSink | undefined): boolean {
  const n = buf.length;
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  if (start >= n) return false;
  const crlf = buf.indexOf(CR, start) >= 0;
  if (!onRecord && crlf && !onlyCrlf(buf, start)) return false;
  const eol = crlf ? 2 : 1;
  let width = -1;
  let index = 0;
  let record: string[] = [];
  let fields = 0;
  let pos = start;
  for (;;) {
    // Strings are made for the records given, and for the header (to check its names).
    const keep = onRecord !== undefined || width === -1;
    let value = "";
    if (buf[pos] === QUOTE) {
      let from = pos + 1;
      for (;;) {
        const q = buf.indexOf(QUOTE, from);
        if (q < 0) return false;
        if (buf[q + 1] === QUOTE) {
          if (keep) value += buf.toString("utf8", from, q + 1);
          from = q + 2;
          continue;
        }
        if (keep) value += buf.toString("utf8", from, q);
        pos = q + 1;
        break;
      }
      const next = pos < n ? buf[pos] : -1;
      if (next !== -1 && next !== d && next !== LF && next !== CR) return false;
    } else {
      let end = pos;
      while (end < n) {
        const c = buf[end];
        if (c === d || c === LF || c === CR) break;
        if (c === QUOTE) return false;
        end++;
      }
      if (keep && end > pos) value = buf.toString("utf8", pos, end);
      pos = end;
    }
    if (keep) record.push(value);
    fields++;
    if (pos < n && buf[pos] === d) {
      pos++;
      continue;
    }
    // The end of a record: a line end, or the end of the file.
    if (width === -1) {
      width = fields;
      if (record.includes("__proto__")) return false;
    } else if (fields !== width) {
      return false;
    }
    onRecord?.(record, index);
    index++;
    record = [];
    fields = 0;
    pos += eol;
    if (pos >= n) return true;
  }
}

/** Every `\r` is followed by `\n` and every `\n` follows a `\r`. */
function onlyCrlf(buf: Buffer, start: number): boolean {
  let lines = 0;
  for (let at = buf.indexOf(LF, start); at >= 0; at = buf.indexOf(LF, at + 1)) {
    if (buf[at - 1] !== CR) return false;
    lines++;
  }
  let returns = 0;
  for (let at = buf.indexOf(CR, start); at >= 0; at = buf.indexOf(CR, at + 1)) returns++;
  return returns === lines;
}
