import { readdirSync, statSync } from "node:fs";
import { join, parse } from "node:path";

/** Whether a path is a pattern, as glob's `hasMagic` decides: `* ? [` or a `{a,b}` alternation. */
export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern) || /\{[^{}]*,[^{}]*\}/.test(pattern);
}

/**
 * The files an absolute pattern matches (`*`, `?`, `[abc]`, `**`, `{a,b}`), sorted. As in glob,
 * `*` and `?` do not match a leading dot unless the pattern's part starts with one. Node 20 has no
 * `fs.globSync`, and a few lines here spare a dependency.
 */
export function globFiles(pattern: string): string[] {
  const found = new Set<string>();
  for (const expanded of expandBraces(pattern)) {
    const { root } = parse(expanded);
    const parts = expanded
      .slice(root.length)
      .split(/[\\/]+/)
      .filter(Boolean);
    walk(root || ".", parts, found);
  }
  return [...found].sort();
}

function walk(dir: string, parts: readonly string[], found: Set<string>): void {
  const [part, ...rest] = parts;
  if (part === undefined) {
    if (isFile(dir)) found.add(dir);
    return;
  }
  if (part === "**") {
    walk(dir, rest, found);
    for (const name of listDir(dir)) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      if (isDirectory(path)) walk(path, parts, found);
    }
    return;
  }
  if (!hasMagic(part)) {
    walk(join(dir, part), rest, found);
    return;
  }
  const matcher = segmentPattern(part);
  for (const name of listDir(dir)) {
    if (name.startsWith(".") && !part.startsWith(".")) continue;
    if (matcher.test(name)) walk(join(dir, name), rest, found);
  }
}

function segmentPattern(part: string): RegExp {
  let source = "";
  for (let i = 0; i < part.length; i++) {
    const char = part.charAt(i);
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = part.indexOf("]", i + 1);
      if (end < 0) source += "\\[";
      else {
        const body = part
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** `a{b,c}d` → `abd`, `acd` (nested alternations are expanded from the inside out). */
function expandBraces(pattern: string): string[] {
  const match = /\{([^{}]*,[^{}]*)\}/.exec(pattern);
  if (!match) return [pattern];
  const before = pattern.slice(0, match.index);
  const after = pattern.slice(match.index + match[0].length);
  return (match[1] ?? "").split(",").flatMap((option) => expandBraces(before + option + after));
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
