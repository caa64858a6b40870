import type { ModelRef, RequestParams } from "../../core/types.js";
import { REQUEST_PARAM_KEYS, readParams } from "../../input/request-params.js";
import { modelOf } from "../config/providers.js";

/** What a judge call is for: a text verdict, or an embedding (`similar`). */
export type JudgePurpose = "text" | "embedding";

/** The embedding model used for `similar` when the grader named is an OpenAI chat model (promptfoo's default). */
export const DEFAULT_OPENAI_EMBEDDING_MODEL = "text-embedding-3-large";

/**
 * The model behind a grader given as promptfoo writes it — `openai:gpt-4o-mini`,
 * `openai:chat:gpt-4o-mini`, `anthropic:messages:…`, `mock:grader`, `{id, config}`, or
 * `{text: …, embedding: …}` — for one purpose. For embeddings, `openai:embedding:M` (or
 * `embeddings`) names the model; a chat grader of OpenAI embeds with text-embedding-3-large, a mock
 * grader embeds itself, and Anthropic has no embeddings. A problem is a message naming the grader.
 */
export function graderModel(
  spec: unknown,
  purpose: JudgePurpose,
): { ok: true; ref: ModelRef } | { ok: false; problem: string } {
  if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
    const record = spec as Record<string, unknown>;
    if ("id" in record) return graderModel(record.id, purpose);
    const chosen = record[purpose];
    if (chosen !== undefined) return graderModel(chosen, purpose);
    return {
      ok: false,
      problem: `grader ${JSON.stringify(spec)} names no ${purpose} provider (id, or ${purpose}: <provider>)`,
    };
  }
  if (typeof spec !== "string" || spec === "") {
    return {
      ok: false,
      problem: `a grader is a provider id such as openai:gpt-4o-mini, got ${JSON.stringify(spec)}`,
    };
  }
  const embedding = /^openai:(?:embedding|embeddings):(.+)$/.exec(spec);
  if (embedding?.[1]) {
    if (purpose === "text")
      return {
        ok: false,
        problem: `grader "${spec}" is an embedding model; model-graded text assertions need a chat model`,
      };
    return { ok: true, ref: { provider: "openai", model: embedding[1] } };
  }
  const model = modelOf(spec);
  if (!model.ok || purpose === "text") return model;
  if (model.ref.provider === "openai")
    return { ok: true, ref: { provider: "openai", model: DEFAULT_OPENAI_EMBEDDING_MODEL } };
  if (model.ref.provider === "mock") return model;
  return {
    ok: false,
    problem: `grader "${spec}" has no embeddings API; give similar an embedding provider (provider: openai:embedding:text-embedding-3-small)`,
  };
}

/**
 * The request parameters of a grader given as `{id, config}` (`temperature`, `max_tokens` — which
 * also bounds what the spending cap reserves for a judge call —, `top_p`, `stop`, `seed`,
 * `response_format`); other `config` keys are a problem, never ignored.
 */
export function graderParams(
  spec: unknown,
): { ok: true; params: RequestParams } | { ok: false; problem: string } {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) return { ok: true, params: {} };
  const config = (spec as Record<string, unknown>).config;
  if (config === undefined || config === null) return { ok: true, params: {} };
  if (typeof config !== "object" || Array.isArray(config))
    return { ok: false, problem: "a grader's config must be a mapping" };
  const unknown = Object.keys(config).find((key) => !REQUEST_PARAM_KEYS.has(key));
  if (unknown !== undefined) {
    return {
      ok: false,
      problem: `grader config "${unknown}" is not supported (known: ${[...REQUEST_PARAM_KEYS].join(", ")})`,
    };
  }
  const read = readParams(config as Record<string, unknown>);
  return read.ok
    ? { ok: true, params: read.params }
    : { ok: false, problem: `grader config: ${read.problem}` };
}
