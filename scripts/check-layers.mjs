#!/usr/bin/env node
// The layers of the code, checked: each folder may import only the folders listed for it, and no
// two folders may import each other. `npm test` runs this (via `npm run lint`); a wrong import
// fails with the file, the line and the rule it breaks. A short script rather than
// dependency-cruiser: the rule is one table, the check 60 lines, and nothing to install.
//
// Usage: node scripts/check-layers.mjs [root]
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Folder → the folders it may import (besides itself). `core` imports nothing of the project. */
export const LAYERS = {
  core: [],
  providers: ["core"],
  limits: ["core"],
  config: ["core"],
  output: ["core"],
  store: ["core"],
  ui: ["core"],
  engine: ["core"],
  schema: ["core"],
  router: ["core", "config", "providers"],
  coordinate: ["core"],
  keys: ["core", "limits", "providers", "config"],
  cost: ["core", "providers", "config"],
  input: ["core", "providers", "schema"],
  recipe: ["core", "config", "input", "keys", "providers"],
  session: ["core", "engine", "keys", "limits", "cost", "providers", "config", "schema", "coordinate"],
  report: ["core", "cost", "store", "output"],
  run: [
    "core",
    "coordinate",
    "session",
    "engine",
    "store",
    "input",
    "output",
    "report",
    "recipe",
    "cost",
    "keys",
    "providers",
    "config",
    "schema",
    "router",
  ],
  eval: [
    "core",
    "session",
    "engine",
    "store",
    "input",
    "output",
    "report",
    "recipe",
    "cost",
    "keys",
    "providers",
    "config",
    "run",
    "schema",
  ],
  optimize: [
    "core",
    "session",
    "engine",
    "store",
    "input",
    "output",
    "recipe",
    "cost",
    "keys",
    "providers",
    "config",
    "run",
    "eval",
  ],
  "mock-server": ["core", "providers"],
  observe: ["core", "output"],
  cli: ["*"],
};

/** The layer a source file belongs to: `providers/` or the first folder under `src/`. */
function layerOf(file) {
  const parts = file.split(sep);
  if (parts[0] === "providers") return "providers";
  if (parts[0] === "src" && parts.length > 2) return parts[1];
  return parts[0] === "src" ? "src" : undefined;
}

function sourceFiles(root, dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(root, path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.{1,2}\/[^"]+)"/g;

/** Every import that breaks a rule, as `file:line: message`. */
export function layerViolations(root) {
  const problems = [];
  const seen = new Map();
  for (const file of ["src", "providers"].flatMap((dir) => sourceFiles(root, dir))) {
    const from = layerOf(file);
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    lines.forEach((text, index) => {
      for (const match of text.matchAll(IMPORT)) {
        const target = relative(root, resolve(root, dirname(file), match[1]));
        const to = layerOf(target);
        if (to === undefined || to === from) continue;
        const where = `${file}:${index + 1}`;
        const allowed = LAYERS[from];
        if (allowed === undefined) {
          problems.push(`${where}: ${from}/ is not a known layer; add it to scripts/check-layers.mjs`);
        } else if (!allowed.includes("*") && !allowed.includes(to)) {
          problems.push(
            `${where}: ${from}/ may not import ${to}/ (rule: ${from} → ${allowed.join(", ") || "nothing of the project"}): "${match[1]}"`,
          );
        }
        seen.set(`${from}>${to}`, where);
      }
    });
  }
  problems.push(...readmeProblems(root));
  for (const [pair, where] of seen) {
    const [a, b] = pair.split(">");
    if (a < b && seen.has(`${b}>${a}`)) {
      problems.push(
        `${where}: ${a}/ and ${b}/ import each other (${seen.get(`${b}>${a}`)}); folders form no cycles`,
      );
    }
  }
  return problems;
}

/** Each folder's README says what it may import, in a line `May import: …` that matches the table. */
function readmeProblems(root) {
  const problems = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const readme = join(layer === "providers" ? "providers" : join("src", layer), "README.md");
    let text;
    try {
      text = readFileSync(join(root, readme), "utf8");
    } catch {
      continue; // a tree without this folder (the checker's own tests)
    }
    const line = /^May import: (.*)$/m.exec(text)?.[1];
    const want = allowed.includes("*")
      ? "anything."
      : allowed.length === 0
        ? "nothing of the project."
        : `${allowed.map((name) => `\`${name}/\``).join(", ")}.`;
    if (line === undefined || !line.startsWith(want)) {
      problems.push(`${readme}: should say "May import: ${want}" (the rule in scripts/check-layers.mjs)`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? ".");
  const problems = layerViolations(root);
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (problems.length > 0) {
    process.stderr.write(`layers: ${problems.length} import(s) point the wrong way (see src/README.md)\n`);
    process.exitCode = 1;
  }
}
