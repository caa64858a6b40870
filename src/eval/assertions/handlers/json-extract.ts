import { load } from "js-yaml";

/**
 * The JSON objects embedded in a text, as promptfoo finds them for `contains-json`
 * (src/util/json.ts `extractJsonObjects`): from every `{`, the shortest balanced span that parses
 * is taken (braces still open at the end of the text are closed), then scanning resumes after
 * it. A span parses leniently, as promptfoo's js-yaml call does: `//` comments, unquoted keys and
 * trailing text inside the braces that YAML accepts. Top-level arrays are not objects here.
 */
export function extractJsonObjects(text: string): object[] {
  const objects: object[] = [];
  for (let index = 0; index < text.length; index++) {
    if (text[index] !== "{") continue;
    const scanned = scanObjectFrom(text, index);
    if (!scanned) continue;
    objects.push(scanned.parsed);
    index = scanned.endIndex - 1;
  }
  return objects;
}

const MAX_JSON_LENGTH = 100_000;

function scanObjectFrom(text: string, start: number): { parsed: object; endIndex: number } | undefined {
  let open = 1;
  let close = 0;
  let cursor = start + 1;
  const limit = Math.min(start + MAX_JSON_LENGTH, text.length);
  while (cursor < limit && open > close) {
    if (text[cursor] === "{") open++;
    else if (text[cursor] === "}") close++;
    cursor++;
    const boundary = open === close || cursor === text.length || cursor === limit;
    if (!boundary) continue;
    const parsed = parseCandidate(text, start, cursor, open, close);
    if (parsed) return { parsed, endIndex: cursor };
    if (open === close) return undefined;
  }
  return undefined;
}

function parseCandidate(text: string, start: number, end: number, open: number, close: number) {
  let candidate = text.slice(start, end);
  if (open > close) candidate += "}".repeat(open - close);
  try {
    const parsed = load(convertSlashCommentsToHash(candidate), { json: true });
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `// comment` becomes `# comment` outside quotes and URLs, so YAML reads it as a comment. */
export function convertSlashCommentsToHash(text: string): string {
  return text.split("\n").map(convertLine).join("\n");
}

function convertLine(line: string): string {
  let state: "normal" | "single" | "double" = "normal";
  let result = "";
  let index = 0;
  while (index < line.length) {
    const char = line[index] ?? "";
    const next = line[index + 1] ?? "";
    const prev = index > 0 ? (line[index - 1] ?? "") : "";
    if (state === "single") {
      result += char;
      if (char === "'" && prev !== "\\" && !/[a-zA-Z]/.test(next)) state = "normal";
      index++;
      continue;
    }
    if (state === "double") {
      result += char;
      if (char === '"' && prev !== "\\") state = "normal";
      index++;
      continue;
    }
    if (char === "'" && !/[a-zA-Z]/.test(prev)) {
      state = "single";
      result += char;
      index++;
      continue;
    }
    if (char === '"') {
      state = "double";
      result += char;
      index++;
      continue;
    }
    if (char !== "/" || next !== "/") {
      result += char;
      index++;
      continue;
    }
    const tokenStart = tokenStartBefore(line, index);
    if (line.slice(tokenStart, index + 2).includes("://")) {
      result += char;
      index++;
      continue;
    }
    let slashes = 2;
    while (index + slashes < line.length && line[index + slashes] === "/") slashes++;
    return result + "#".repeat(Math.floor(slashes / 2)) + line.slice(index + slashes);
  }
  return result;
}

function tokenStartBefore(line: string, index: number): number {
  for (let cursor = index - 1; cursor >= 0; cursor--) {
    if (/\s/.test(line[cursor] ?? "")) return cursor + 1;
  }
  return 0;
}
