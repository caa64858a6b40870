import type { IncomingHttpHeaders } from "node:http";

/** The models `GET /v1/models` lists; any other name is answered too (the mock echoes every model). */
const OPENAI_MODELS = [
  "gpt-4o-mini",
  "gpt-4o",
  "gpt-4.1",
  "gpt-4.1-mini",
  "gpt-4.1-nano",
  "o3-mini",
  "o4-mini",
];
const ANTHROPIC_MODELS: [string, string][] = [
  ["claude-haiku-4-5", "Claude Haiku 4.5"],
  ["claude-sonnet-4-5", "Claude Sonnet 4.5"],
  ["claude-opus-4-1", "Claude Opus 4.1"],
];

/** 2025-01-01, as both APIs date their models. */
const CREATED_S = 1_735_689_600;
const CREATED_AT = "2025-01-01T00:00:00Z";

/**
 * Whose `/v1/models` a request asks for: both APIs share the path, so the headers decide. Anthropic's
 * SDK always sends `anthropic-version` (and its key as `x-api-key`); OpenAI's sends neither.
 */
export function modelsDialect(headers: IncomingHttpHeaders): "openai" | "anthropic" {
  return headers["anthropic-version"] !== undefined || headers["x-api-key"] !== undefined
    ? "anthropic"
    : "openai";
}

const openaiModel = (id: string) => ({ id, object: "model", created: CREATED_S, owned_by: "system" });

function anthropicModel(id: string) {
  const name = ANTHROPIC_MODELS.find(([known]) => known === id)?.[1] ?? id;
  return { type: "model", id, display_name: name, created_at: CREATED_AT };
}

/** OpenAI's list (`{object: "list", data}`) or Anthropic's page (`{data, has_more, first_id, last_id}`). */
export function modelList(dialect: "openai" | "anthropic"): unknown {
  if (dialect === "openai") return { object: "list", data: OPENAI_MODELS.map(openaiModel) };
  const data = ANTHROPIC_MODELS.map(([id]) => anthropicModel(id));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

/** One model, as `GET /v1/models/{id}` returns it. */
export function modelInfo(dialect: "openai" | "anthropic", id: string): unknown {
  return dialect === "openai" ? openaiModel(id) : anthropicModel(id);
}
