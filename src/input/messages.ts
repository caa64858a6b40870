import { type ChatMessage, messageText, ROLES, type Role } from "../core/types.js";

export type MessagesResult = { ok: true; messages: ChatMessage[] } | { ok: false; problem: string };

/** Checks a chat row's `messages`: known roles, text or content parts, a non-empty user prompt. */
export function readMessages(value: unknown): MessagesResult {
  if (!Array.isArray(value)) return { ok: false, problem: `"messages" must be a list of messages` };
  if (value.length === 0) return { ok: false, problem: `"messages" is empty` };
  const messages: ChatMessage[] = [];
  for (const [i, raw] of value.entries()) {
    const where = `message ${i + 1}`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      return { ok: false, problem: `${where} is not an object` };
    }
    const { role, content, name } = raw as Record<string, unknown>;
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      return {
        ok: false,
        problem: `${where} has unknown role ${JSON.stringify(role)} (known: ${ROLES.join(", ")})`,
      };
    }
    if (typeof content !== "string" && !isContentParts(content)) {
      return { ok: false, problem: `${where} content must be text or a list of content parts` };
    }
    if (typeof content !== "string") {
      const problem = contentPartsProblem(content, where);
      if (problem) return { ok: false, problem };
    }
    const message: ChatMessage = { role: role as Role, content };
    if (typeof name === "string") message.name = name;
    messages.push(message);
  }
  const userText = messages
    .filter((m) => m.role === "user")
    .map((m) => messageText(m.content))
    .join("");
  if (!messages.some((m) => m.role === "user")) return { ok: false, problem: "no user message" };
  const hasNonText = messages.some(
    (m) => typeof m.content !== "string" && m.content.some((p) => p.type !== "text"),
  );
  if (userText.trim() === "" && !hasNonText) return { ok: false, problem: "empty prompt" };
  return { ok: true, messages };
}

/** Content part types of the Chat Completions API (`refusal` only in an assistant's answer). */
const PART_TYPES = ["text", "image_url", "input_audio", "file", "refusal"];

/** A part of an unknown type, or a known one without the field its type needs. */
function contentPartsProblem(parts: ChatMessage["content"], where: string): string | undefined {
  for (const [i, part] of (parts as Record<string, unknown>[]).entries()) {
    const type = part.type as string;
    const which = `${where}, content part ${i + 1}`;
    if (!PART_TYPES.includes(type)) {
      return `${which} has unknown type ${JSON.stringify(type)} (known: ${PART_TYPES.join(", ")})`;
    }
    const needs = type === "text" ? "text" : type;
    if (part[needs] === undefined || part[needs] === null) return `${which} (${type}) has no "${needs}"`;
    if (type === "text" && typeof part.text !== "string") return `${which} (text): "text" must be text`;
    if (type === "image_url") {
      const image = part.image_url as { url?: unknown } | string;
      const url = typeof image === "object" ? image.url : undefined;
      if (typeof url !== "string" || url === "") return `${which} (image_url) has no "image_url.url"`;
    }
  }
  return undefined;
}

function isContentParts(value: unknown): value is ChatMessage["content"] {
  return (
    Array.isArray(value) &&
    value.every(
      (p) => p !== null && typeof p === "object" && typeof (p as { type?: unknown }).type === "string",
    )
  );
}
