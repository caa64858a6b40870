import type { ModelRef } from "../src/core/types.js";
import { PROVIDER_NAMES, providerInfo } from "./registry.js";

const INFERRED: ReadonlyArray<[RegExp, string]> = [
  [/^(gpt-|chatgpt-|o1|o3|o4)/, "openai"],
  [/^claude-/, "anthropic"],
];

export type ModelResolution = { ok: true; ref: ModelRef } | { ok: false; problem: string };

/**
 * Turns `provider:model` or a bare model name into a reference (DESIGN §2 `--model`): a bare name
 * takes the provider of `fallback`, else one inferred from its prefix, else it is a problem.
 */
export function resolveModel(spec: string, fallback?: ModelRef): ModelResolution {
  const trimmed = spec.trim();
  if (trimmed === "") return { ok: false, problem: "model is empty" };
  const colon = trimmed.indexOf(":");
  if (colon > 0) {
    const provider = trimmed.slice(0, colon);
    const model = trimmed.slice(colon + 1);
    if (PROVIDER_NAMES.includes(provider)) return checked({ provider, model });
    if (!fallback) {
      return { ok: false, problem: `unknown provider "${provider}" (known: ${PROVIDER_NAMES.join(", ")})` };
    }
  }
  if (fallback) return checked({ provider: fallback.provider, model: trimmed });
  const inferred = INFERRED.find(([pattern]) => pattern.test(trimmed));
  if (inferred) return checked({ provider: inferred[1], model: trimmed });
  return {
    ok: false,
    problem: `model "${trimmed}" has no provider; write it as provider:model (providers: ${PROVIDER_NAMES.join(", ")})`,
  };
}

function checked(ref: ModelRef): ModelResolution {
  const info = providerInfo(ref.provider);
  if (!info) {
    return { ok: false, problem: `unknown provider "${ref.provider}" (known: ${PROVIDER_NAMES.join(", ")})` };
  }
  if (ref.model === "") return { ok: false, problem: `model name missing after "${ref.provider}:"` };
  const problem = info.checkModel?.(ref.model);
  return problem ? { ok: false, problem } : { ok: true, ref };
}
