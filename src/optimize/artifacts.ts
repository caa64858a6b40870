import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { Document, parseDocument } from "yaml";
import { writeFileAtomically } from "../output/atomic-file.js";
import type { PromptParts } from "./candidate-guards.js";

/** Writes a small text file whole or not at all. */
export async function writeText(path: string, text: string, what: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomically(path, async (out) => out.write(text), { what });
}

/**
 * `best.yaml`: an ordinary recipe — the source recipe's keys as they were, with the winner's
 * template and system, and the model and request parameters given as flags — under a comment
 * header (source, test score before → after), so `metasync run -r best.yaml` sends what was tested.
 */
export function bestRecipe(options: {
  recipePath: string | undefined;
  winner: PromptParts;
  values: Record<string, unknown>;
  header: string[];
}): string {
  const doc = options.recipePath ? parseDocument(readFileSync(options.recipePath, "utf8")) : new Document({});
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  for (const [key, value] of Object.entries(options.values)) if (value !== undefined) doc.set(key, value);
  doc.set("template", options.winner.template);
  if (options.winner.system !== undefined) doc.set("system", options.winner.system);
  else doc.delete("system");
  doc.commentBefore = options.header.map((line) => ` ${line}`).join("\n");
  return doc.toString({ lineWidth: 0 });
}
