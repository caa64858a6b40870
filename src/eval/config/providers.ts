import { resolveModel } from "../../../providers/model-ref.js";
import type { ConfigEntry, ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import { formatModelRef, type ModelRef } from "../../core/types.js";
import { REQUEST_PARAM_KEYS, readParams } from "../../input/request-params.js";
import type { ConfigProblems } from "./problems.js";
import type { EvalProvider } from "./types.js";
import { plainValue } from "./yaml-source.js";

/** `openai:<kind>:…` and `anthropic:<kind>:…` APIs that are not chat completions. */
const OTHER_OPENAI_KINDS = new Set([
  "completion",
  "embedding",
  "embeddings",
  "moderation",
  "assistant",
  "image",
  "responses",
  "realtime",
  "transcription",
  "speech",
  "audio",
  "video",
]);

const SUPPORTED =
  "openai:<model>, openai:chat:<model>, anthropic:messages:<model>, anthropic:<model>, mock:<model>";

/**
 * A promptfoo provider id as a metasync model: `openai:chat:M` and `openai:M` are `openai:M`,
 * `anthropic:messages:M` and `anthropic:M` are `anthropic:M`, `mock:…` stays. Anything else
 * (other providers, other OpenAI APIs, HTTP, scripts) is a problem.
 */
export function modelOf(id: string): { ok: true; ref: ModelRef } | { ok: false; problem: string } {
  const [provider, kind, ...rest] = id.split(":");
  if (provider === "openai" && kind !== undefined) {
    if (kind === "chat") {
      return rest.length === 0 || rest.join(":") === ""
        ? { ok: false, problem: `"${id}" needs a model name (openai:chat:<model>)` }
        : checked(`openai:${rest.join(":")}`);
    }
    if (OTHER_OPENAI_KINDS.has(kind)) {
      return { ok: false, problem: `"${id}": OpenAI's ${kind} API is not supported (chat models only)` };
    }
    return checked(id);
  }
  if (provider === "anthropic" && kind !== undefined) {
    if (kind === "messages") {
      return rest.length === 0 || rest.join(":") === ""
        ? { ok: false, problem: `"${id}" needs a model name (anthropic:messages:<model>)` }
        : checked(`anthropic:${rest.join(":")}`);
    }
    if (kind === "completion") {
      return { ok: false, problem: `"${id}": Anthropic's legacy completion API is not supported` };
    }
    return checked(id);
  }
  if (provider === "mock") return checked(id);
  return { ok: false, problem: `provider "${id}" is not supported (supported: ${SUPPORTED})` };
}

function checked(spec: string): { ok: true; ref: ModelRef } | { ok: false; problem: string } {
  const resolved = resolveModel(spec);
  return resolved.ok ? resolved : { ok: false, problem: resolved.problem };
}

/**
 * The `providers` (or `targets`) of a config: a string, or a list of ids, `{id, label, config}`
 * objects and `{<id>: {label, config}}` maps.
 */
export function readProviders(node: ConfigNode, file: ConfigFile, where: string): EvalProvider[] {
  if (node.kind === "scalar") {
    const id = node.string();
    if (id === undefined) {
      file.problem(node, `${where} must be a provider id or a list of providers`);
      return [];
    }
    const provider = providerOf(id, undefined, undefined, node, file, where);
    return provider ? [provider] : [];
  }
  if (node.kind !== "list") {
    file.problem(node, `${where} must be a list of providers`);
    return [];
  }
  if (node.items.length === 0) file.problem(node, `${where} is empty`);
  return node.items.flatMap((item, index) => {
    const provider = readProvider(item, file, `${where}[${index}]`);
    return provider ? [provider] : [];
  });
}

function readProvider(node: ConfigNode, file: ConfigFile, where: string): EvalProvider | undefined {
  const id = node.string();
  if (id !== undefined) return providerOf(id, undefined, undefined, node, file, where);
  if (node.kind !== "map") {
    file.problem(node, `${where} must be a provider id or {id, label, config}`);
    return undefined;
  }
  const only = node.entries.length === 1 ? node.entries[0] : undefined;
  if (!node.get("id") && only && only.value.kind === "map") {
    // promptfoo's map form: `- openai:gpt-4o-mini: {label, config}` (an `id` inside wins).
    const inner = only.value;
    const innerId = inner.get("id")?.value.string() ?? only.key;
    return readProviderOptions(inner, innerId, only, file, `${where}.${only.key}`);
  }
  const idEntry = node.get("id");
  const idText = idEntry?.value.string();
  if (idText === undefined) {
    file.problem(idEntry ?? node, `${where}.id must be a provider id (e.g. openai:gpt-4o-mini)`);
    return undefined;
  }
  return readProviderOptions(node, idText, idEntry ?? node, file, where);
}

function readProviderOptions(
  node: ConfigNode,
  id: string,
  at: { line: number | undefined },
  file: ConfigFile,
  where: string,
): EvalProvider | undefined {
  let label: string | undefined;
  let config: ConfigNode | undefined;
  const before = file.problems.length;
  for (const entry of node.entries) {
    if (entry.key === "id") continue;
    if (entry.key === "label") {
      label = entry.value.string();
      if (label === undefined) file.problem(entry.value, `${where}.label must be text`);
    } else if (entry.key === "config") {
      config = entry.value;
    } else {
      // prompts, transform, delay, env, inputs …: promptfoo features metasync does not run.
      file.problem(entry, `${where}.${entry.key} is not supported`);
    }
  }
  const provider = providerOf(id, label, config, at, file, where);
  return file.problems.length > before ? undefined : provider;
}

function providerOf(
  id: string,
  label: string | undefined,
  config: ConfigNode | undefined,
  at: { line: number | undefined },
  file: ConfigFile,
  where: string,
): EvalProvider | undefined {
  const model = modelOf(id);
  if (!model.ok) {
    file.problem(at, `${where}: ${model.problem}`);
    return undefined;
  }
  const provider: EvalProvider = {
    id,
    label: label ?? formatModelRef(model.ref),
    model: model.ref,
    params: {},
  };
  if (config !== undefined && !readConfig(config, provider, file, `${where}.config`)) return undefined;
  return provider;
}

/** A provider's `config`: request parameters, `apiBaseUrl` and `apiKeyEnvar`; anything else is a problem. */
function readConfig(node: ConfigNode, provider: EvalProvider, file: ConfigFile, where: string): boolean {
  if (node.kind !== "map") {
    file.problem(node, `${where} must be a mapping`);
    return false;
  }
  const before = file.problems.length;
  const params: Record<string, unknown> = {};
  let paramsAt: ConfigEntry | undefined;
  for (const entry of node.entries) {
    if (REQUEST_PARAM_KEYS.has(entry.key)) {
      params[entry.key] = plainValue(entry.value);
      paramsAt ??= entry;
    } else if (entry.key === "apiBaseUrl" || entry.key === "apiKeyEnvar") {
      const text = entry.value.string();
      if (text === undefined || text === "") file.problem(entry.value, `${where}.${entry.key} must be text`);
      else if (entry.key === "apiBaseUrl") provider.baseUrl = text;
      else provider.apiKeyEnv = text;
    } else if (entry.key === "apiKey") {
      file.problem(
        entry,
        `${where}.apiKey is not supported: put the key in an environment variable (apiKeyEnvar) or a --keys file`,
      );
    } else {
      file.problem(entry, `${where}.${entry.key} is not supported`);
    }
  }
  const read = readParams(params);
  if (!read.ok) file.problem(paramsAt, `${where}: ${read.problem}`);
  else provider.params = read.params;
  return file.problems.length === before;
}

/** `-m` models replace the config's providers; promptfoo's ids are accepted there too. */
export function providersFromFlags(models: readonly string[], problems: ConfigProblems): EvalProvider[] {
  return models.flatMap((spec) => {
    const model = spec.includes(":") ? modelOf(spec) : checked(spec);
    if (!model.ok) {
      problems.flag(`--model ${spec}: ${model.problem}`);
      return [];
    }
    return [{ id: spec, label: formatModelRef(model.ref), model: model.ref, params: {} }];
  });
}
