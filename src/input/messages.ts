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

function isContentParts(value: unknown): value is ChatMessage["content"] {
  return (
    Array.isArray(value) &&
    value.every(
      (p) => p !== null && typeof p === "object" && typeof (p as { type?: unknown }).type === "string",
    )
  );
}
