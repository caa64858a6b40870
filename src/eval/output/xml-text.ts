/**
 * Characters XML 1.0 does not allow anywhere, not even escaped: the C0 controls other than tab, line
 * feed and carriage return, lone surrogates, U+FFFE and U+FFFF. They become U+FFFD.
 */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };
// In an attribute a parser turns tab and line breaks into spaces unless they are written as references.
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
};

/** Text as XML character data: escaped, and characters XML cannot hold replaced by U+FFFD. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, "\uFFFD").replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** Text as a double-quoted XML attribute value, whitespace kept. */
export function xmlAttribute(text: string): string {
  return text.replace(NOT_XML, "\uFFFD").replace(/[&<>"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}
