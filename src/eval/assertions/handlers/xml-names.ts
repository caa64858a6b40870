/**
 * XML 1.0 names and DOCTYPE syntax, as promptfoo's src/assertions/xml.ts reads them to find
 * fragments in text and to police the DOCTYPEs that `is-xml` accepts.
 */

function codePointLength(codePoint: number): number {
  return codePoint > 0xffff ? 2 : 1;
}

function isNameStart(cp: number | undefined): cp is number {
  return (
    cp !== undefined &&
    (cp === 0x3a ||
      cp === 0x5f ||
      (cp >= 0x41 && cp <= 0x5a) ||
      (cp >= 0x61 && cp <= 0x7a) ||
      (cp >= 0xc0 && cp <= 0xd6) ||
      (cp >= 0xd8 && cp <= 0xf6) ||
      (cp >= 0xf8 && cp <= 0x2ff) ||
      (cp >= 0x370 && cp <= 0x37d) ||
      (cp >= 0x37f && cp <= 0x1fff) ||
      (cp >= 0x200c && cp <= 0x200d) ||
      (cp >= 0x2070 && cp <= 0x218f) ||
      (cp >= 0x2c00 && cp <= 0x2fef) ||
      (cp >= 0x3001 && cp <= 0xd7ff) ||
      (cp >= 0xf900 && cp <= 0xfdcf) ||
      (cp >= 0xfdf0 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0xeffff))
  );
}

function isNameChar(cp: number | undefined): cp is number {
  return (
    isNameStart(cp) ||
    cp === 0x2d ||
    cp === 0x2e ||
    (cp !== undefined && cp >= 0x30 && cp <= 0x39) ||
    cp === 0xb7 ||
    (cp !== undefined && cp >= 0x300 && cp <= 0x36f) ||
    (cp !== undefined && cp >= 0x203f && cp <= 0x2040)
  );
}

/** The XML name starting at `start`, or undefined when none starts there. */
export function readXmlName(input: string, start: number): { name: string; end: number } | undefined {
  const first = input.codePointAt(start);
  if (!isNameStart(first)) return undefined;
  let end = start + codePointLength(first);
  for (let cp = input.codePointAt(end); isNameChar(cp); cp = input.codePointAt(end)) {
    end += codePointLength(cp);
  }
  return { name: input.slice(start, end), end };
}

function isWhitespace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\r" || char === "\n";
}

function skipWhitespace(input: string, start: number): number {
  let index = start;
  while (isWhitespace(input[index])) index++;
  return index;
}

function readQuoted(input: string, start: number): { value: string; end: number } | undefined {
  const quote = input[start];
  if (quote !== '"' && quote !== "'") return undefined;
  const closing = input.indexOf(quote, start + 1);
  if (closing === -1) return undefined;
  return { value: input.slice(start + 1, closing), end: closing + 1 };
}

function hasValidSystemLiteral(input: string, start: number): boolean {
  const literalStart = skipWhitespace(input, start);
  if (literalStart === start) return false;
  const literal = readQuoted(input, literalStart);
  return Boolean(
    literal && !literal.value.includes("#") && skipWhitespace(input, literal.end) === input.length,
  );
}

/** `<!DOCTYPE name [ … ]>`: an internal subset, which `is-xml` refuses to validate. */
export function hasDoctypeInternalSubset(doctype: string): boolean {
  let quote: string | undefined;
  for (const char of doctype) {
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === "[") return true;
  }
  return false;
}

/** A DOCTYPE body of the form ` name`, ` name SYSTEM "id"` or ` name PUBLIC "pub" "id"`. */
export function isWellFormedDoctype(doctype: string): boolean {
  let index = skipWhitespace(doctype, 0);
  if (index === 0) return false;
  const name = readXmlName(doctype, index);
  if (!name) return false;
  index = name.end;
  const externalIdStart = skipWhitespace(doctype, index);
  if (externalIdStart === doctype.length) return true;
  if (externalIdStart === index) return false;
  index = externalIdStart;
  if (doctype.startsWith("SYSTEM", index)) return hasValidSystemLiteral(doctype, index + "SYSTEM".length);
  if (doctype.startsWith("PUBLIC", index)) {
    index += "PUBLIC".length;
    const publicStart = skipWhitespace(doctype, index);
    if (publicStart === index) return false;
    const publicLiteral = readQuoted(doctype, publicStart);
    if (!publicLiteral || !/^[\x20\r\na-zA-Z0-9'()+,./:=?;!*#@$_%-]*$/.test(publicLiteral.value))
      return false;
    return hasValidSystemLiteral(doctype, publicLiteral.end);
  }
  return false;
}

/** Whether the DOCTYPE names an external subset (`SYSTEM` or `PUBLIC`). */
export function hasDoctypeExternalSubset(doctype: string): boolean {
  const name = readXmlName(doctype, skipWhitespace(doctype, 0));
  if (!name) return false;
  const start = skipWhitespace(doctype, name.end);
  return doctype.startsWith("SYSTEM", start) || doctype.startsWith("PUBLIC", start);
}
