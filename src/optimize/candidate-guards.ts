import { compileTemplate } from "../input/template.js";

/** The parts of a recipe a candidate rewrites. */
export interface PromptParts {
  system: string | undefined;
  template: string;
}

/** `--target`: what the proposer may rewrite. */
export type Target = "system" | "template" | "both";

/** The line between the system prompt and the template when both are rewritten at once. */
export const BOTH_SEPARATOR = "=== user message template ===";

/** The text the proposer sees and rewrites. */
export function targetText(parts: PromptParts, target: Target): string {
  if (target === "system") return parts.system ?? "";
  if (target === "template") return parts.template;
  return `${parts.system ?? ""}\n${BOTH_SEPARATOR}\n${parts.template}`;
}

/** A rewritten text put back into the parts, or a reason it cannot be. */
export function withTargetText(
  parts: PromptParts,
  target: Target,
  text: string,
): { ok: true; parts: PromptParts } | { ok: false; reason: string } {
  if (target === "system") return { ok: true, parts: { ...parts, system: text } };
  if (target === "template") return { ok: true, parts: { ...parts, template: text } };
  const at = text.indexOf(BOTH_SEPARATOR);
  if (at < 0)
    return { ok: false, reason: `the reply lost the "${BOTH_SEPARATOR}" line between system and template` };
  const system = text.slice(0, at).replace(/\n$/, "");
  return {
    ok: true,
    parts: {
      system: system === "" ? undefined : system,
      template: text.slice(at + BOTH_SEPARATOR.length).replace(/^\n/, ""),
    },
  };
}

/** A prompt's `{{variables}}`, or why it is not a template of its kind. */
export type FieldReader = (text: string, name: string) => string[] | { problem: string };

/** `run`'s templates: `{{field}}` and `{{a.b}}`, nothing more. */
export function runTemplateFields(text: string, name: string): string[] | { problem: string } {
  try {
    return [...compileTemplate(text, name).fields];
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** The last fenced code block of a proposer's reply (the reply contract), or undefined. */
export function lastFencedBlock(reply: string): string | undefined {
  const blocks = [...reply.matchAll(/(^|\n)[ \t]*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?[ \t]*\2[ \t]*(?=\n|$)/g)];
  const last = blocks.at(-1);
  return last ? (last[3] as string) : undefined;
}

/** How a text is compared with the prompts already tried: whitespace runs and case do not count. */
export function normalizedPrompt(parts: PromptParts): string {
  const squash = (text: string) => text.replace(/\s+/g, " ").trim().toLowerCase();
  return `${squash(parts.system ?? "")}\u0000${squash(parts.template)}`;
}

/**
 * Why a candidate is rejected before anything is spent on it, or undefined: it is not a template
 * (a stray `{{`), drops or adds a `{{variable}}` of the source prompt, repeats a prompt already
 * tried, or is longer than `maxPromptTokens` (counted as 4 bytes a token).
 */
export function candidateProblem(
  parts: PromptParts,
  source: PromptParts,
  tried: ReadonlySet<string>,
  maxPromptTokens: number,
  fieldsOf: FieldReader = runTemplateFields,
): string | undefined {
  if (parts.template.trim() === "") return "the template is empty";
  const fields = (text: string | undefined, name: string): { fields: string[] } | { problem: string } => {
    if (text === undefined) return { fields: [] };
    const found = fieldsOf(text, name);
    return Array.isArray(found) ? { fields: [...new Set(found)].sort() } : found;
  };
  for (const name of ["template", "system"] as const) {
    const now = fields(parts[name], name);
    if ("problem" in now) return `not a valid template: ${now.problem}`;
    const before = fields(source[name], name);
    const was = "fields" in before ? before.fields : [];
    const dropped = was.filter((f) => !now.fields.includes(f));
    const added = now.fields.filter((f) => !was.includes(f));
    if (dropped.length > 0) return `the ${name} drops {{${dropped.join("}}, {{")}}}`;
    if (added.length > 0) return `the ${name} adds {{${added.join("}}, {{")}}}, which the rows do not fill`;
  }
  if (tried.has(normalizedPrompt(parts))) return "repeats a prompt already tried";
  const bytes = Buffer.byteLength(parts.template) + Buffer.byteLength(parts.system ?? "");
  if (bytes > maxPromptTokens * 4) {
    return `longer than --max-prompt-tokens ${maxPromptTokens} (about ${Math.ceil(bytes / 4)} tokens)`;
  }
  return undefined;
}
