import { readXmlName } from "./xml-names.js";

/**
 * Where XML fragments may be in a text, as promptfoo's `contains-xml` finds them
 * (src/assertions/xml.ts `extractXmlCandidates`): every balanced element, then runs of sibling
 * elements whose parent is not itself a candidate, then the outermost elements.
 */
export interface XmlCandidate {
  start: number;
  end: number;
  parentStart?: number | undefined;
}

type XmlTag =
  | { kind: "opening"; start: number; end: number; name: string; selfClosing: boolean }
  | { kind: "closing"; start: number; end: number; name: string }
  | { kind: "declaration"; start: number; end: number };

/** The `>` that closes a tag started at `start`, skipping quoted attribute values; -1 at a stray `<`. */
function findTagEnd(input: string, start: number): number {
  let quote: string | undefined;
  for (let i = start + 1; i < input.length; i++) {
    const char = input[i];
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === "<") return -1;
    else if (char === ">") return i;
  }
  return -1;
}

function findDelimitedEnd(input: string, start: number, delimiter: string): number {
  const at = input.indexOf(delimiter, start);
  return at === -1 ? input.length - 1 : at + delimiter.length - 1;
}

function findDeclarationEnd(input: string, start: number): number {
  if (input.startsWith("<!--", start)) return findDelimitedEnd(input, start + 4, "-->");
  if (input.startsWith("<![CDATA[", start)) return findDelimitedEnd(input, start + 9, "]]>");
  let quote: string | undefined;
  let depth = 0;
  for (let i = start + 2; i < input.length; i++) {
    const char = input[i];
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === "[") depth++;
    else if (char === "]" && depth > 0) depth--;
    else if (char === ">" && depth === 0) return i;
  }
  return input.length - 1;
}

function isSelfClosing(input: string, start: number, end: number): boolean {
  let last = end - 1;
  while (last > start && /\s/.test(input[last] ?? "")) last--;
  return input[last] === "/";
}

function readXmlTag(input: string, start: number): XmlTag | undefined {
  const next = input[start + 1];
  if (next === undefined) return undefined;
  if (next === "!") return { kind: "declaration", start, end: findDeclarationEnd(input, start) };
  if (next === "?") return { kind: "declaration", start, end: findDelimitedEnd(input, start + 2, "?>") };
  if (next === "/") {
    const name = readXmlName(input, start + 2);
    if (!name) return undefined;
    const end = findTagEnd(input, start);
    return end === -1 ? undefined : { kind: "closing", start, end, name: name.name };
  }
  const name = readXmlName(input, start + 1);
  if (!name) return undefined;
  const end = findTagEnd(input, start);
  if (end === -1) return undefined;
  return { kind: "opening", start, end, name: name.name, selfClosing: isSelfClosing(input, start, end) };
}

function orderCandidates(candidates: XmlCandidate[]): XmlCandidate[] {
  const ordered: XmlCandidate[] = [];
  const seen = new Set<string>();
  const byParent = new Map<number | undefined, XmlCandidate[]>();
  const starts = new Set(candidates.map((candidate) => candidate.start));
  const add = (candidate: XmlCandidate) => {
    const key = `${candidate.start}:${candidate.end}`;
    if (seen.has(key)) return;
    seen.add(key);
    ordered.push(candidate);
  };
  for (const candidate of candidates) {
    const siblings = byParent.get(candidate.parentStart);
    if (siblings) siblings.push(candidate);
    else byParent.set(candidate.parentStart, [candidate]);
  }
  for (const [parentStart, siblings] of byParent) {
    if (siblings.length <= 1 || (parentStart !== undefined && starts.has(parentStart))) continue;
    siblings.sort((a, b) => a.start - b.start || a.end - b.end);
    const first = siblings[0];
    const last = siblings[siblings.length - 1];
    if (first && last) add({ start: first.start, end: last.end, parentStart });
  }
  const outermost = candidates
    .filter((candidate) => candidate.parentStart === undefined || !starts.has(candidate.parentStart))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  for (const candidate of outermost) add(candidate);
  return ordered;
}

export function extractXmlCandidates(text: string): XmlCandidate[] {
  const stack: { name: string; start: number }[] = [];
  const candidates: XmlCandidate[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "<") continue;
    const tag = readXmlTag(text, i);
    if (!tag) continue;
    if (tag.kind === "opening") {
      if (tag.selfClosing) {
        candidates.push({ start: tag.start, end: tag.end + 1, parentStart: stack.at(-1)?.start });
      } else {
        stack.push({ name: tag.name, start: tag.start });
      }
    } else if (tag.kind === "closing") {
      const open = stack.at(-1);
      if (open?.name === tag.name) {
        stack.pop();
        candidates.push({ start: open.start, end: tag.end + 1, parentStart: stack.at(-1)?.start });
      } else {
        stack.length = 0;
      }
    }
    i = tag.end;
  }
  return orderCandidates(candidates);
}
