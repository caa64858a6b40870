import { type ChatMessage, type ModelRef, messageText } from "../core/types.js";
import type { RouterConfig, RouterRule } from "./router-file.js";

/** Where a row goes: its rule's model and fallbacks. */
export type RouteChoice =
  | { ok: true; rule: string; model: ModelRef; fallbacks: ModelRef[] }
  | { ok: false; problem: string };

/**
 * Picks each row's rule: the first whose conditions all hold. `promptTokens` estimates a row's prompt
 * (the caller counts text with a tokenizer and images by a formula).
 */
export class ModelRouter {
  constructor(
    private readonly config: RouterConfig,
    private readonly promptTokens: (messages: readonly ChatMessage[]) => number,
  ) {}

  /** Every model a rule may send to, fallbacks included: the session needs a key for each. */
  get models(): ModelRef[] {
    return this.config.rules.flatMap((rule) => [rule.model, ...rule.fallbacks]);
  }

  get rules(): readonly RouterRule[] {
    return this.config.rules;
  }

  route(messages: readonly ChatMessage[], row: Readonly<Record<string, unknown>>): RouteChoice {
    let tokens: number | undefined;
    let prompt: string | undefined;
    for (const rule of this.config.rules) {
      const when = rule.when;
      if (when) {
        if (when.hasImage !== undefined && hasImage(messages) !== when.hasImage) continue;
        if (when.fields && !when.fields.every((field) => field.values.includes(fieldText(row, field.path))))
          continue;
        if (when.promptMatches) {
          prompt ??= messages.map((m) => messageText(m.content)).join("\n");
          when.promptMatches.lastIndex = 0;
          if (!when.promptMatches.test(prompt)) continue;
        }
        if (when.promptTokensOver !== undefined || when.promptTokensUnder !== undefined) {
          tokens ??= this.promptTokens(messages);
          if (when.promptTokensOver !== undefined && !(tokens > when.promptTokensOver)) continue;
          if (when.promptTokensUnder !== undefined && !(tokens < when.promptTokensUnder)) continue;
        }
      }
      return { ok: true, rule: rule.name, model: rule.model, fallbacks: rule.fallbacks };
    }
    return {
      ok: false,
      problem: `no rule of ${this.config.path} takes this row; end the rules with one without "when" to catch the rest`,
    };
  }
}

function hasImage(messages: readonly ChatMessage[]): boolean {
  return messages.some(
    (m) => typeof m.content !== "string" && m.content.some((part) => part.type === "image_url"),
  );
}

/** A row field's value as text (`a.b` for nested fields); "" when the row lacks it. */
function fieldText(row: Readonly<Record<string, unknown>>, path: string): string {
  let value: unknown = row;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return "";
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined || value === null
    ? ""
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
}
