import { type ModelResolution, resolveModel } from "../../providers/model-ref.js";
import { PROVIDER_NAMES } from "../../providers/registry.js";
import {
  type ChatMessage,
  type ContentPart,
  type ItemRequest,
  type ModelRef,
  messageText,
  type RequestParams,
} from "../core/types.js";
import { type ImageFile, imageFileProblem, imagePart, imagePartsProblem } from "./image-part.js";
import { readMessages } from "./messages.js";
import type { RawRow } from "./raw-row.js";
import { REQUEST_PARAM_KEYS, readParams } from "./request-params.js";
import type { Template, TemplateResult } from "./template.js";

/** What every row shares: the flags' and recipe's defaults. */
export interface RowDefaults {
  model?: ModelRef | undefined;
  template?: Template | undefined;
  system?: Template | undefined;
  params: RequestParams;
  /** `--image`: templates of an image each row adds to its (last) user message — a path, or a URL. */
  images?: readonly Template[] | undefined;
  /** Where `--image` paths are read from (the current directory). */
  cwd?: string | undefined;
  /**
   * `-m auto --router`: picks the model (and fallbacks) of a row that names none, from its finished
   * messages and its fields; or says why no rule takes it.
   */
  route?:
    | ((
        messages: readonly ChatMessage[],
        row: Readonly<Record<string, unknown>>,
      ) =>
        | { ok: true; rule: string; model: ModelRef; fallbacks: ModelRef[] }
        | { ok: false; problem: string })
    | undefined;
  /**
   * Checks a row's finished request beyond its shape (its prompt against the model's context
   * window): a problem, or undefined when it may be sent.
   */
  checkRequest?: ((request: ItemRequest) => string | undefined | Promise<string | undefined>) | undefined;
}

/** A template field a row lacks: reported once for all the rows that lack it (see readItems). */
export interface MissingField {
  field: string;
  /** `template` or `--system`. */
  template: string;
  row: Readonly<Record<string, unknown>>;
}

export type RowRequest =
  | { ok: true; id: string | undefined; request: ItemRequest }
  | { ok: false; problem: string; missing?: MissingField };

const BATCH_BODY_FIELDS = new Set(["model", "messages", ...REQUEST_PARAM_KEYS]);

/** Turns one input row, of any accepted shape (DESIGN §3), into a request. */
export class RowInterpreter {
  private readonly models = new Map<string, ModelResolution>();
  constructor(private readonly defaults: RowDefaults) {}

  interpret(row: RawRow): RowRequest {
    if (row.kind === "csv") {
      const fields: Record<string, string> = {};
      row.header.forEach((name, i) => {
        fields[name] = row.values[i] as string;
      });
      const id = fields.id !== undefined && fields.id !== "" ? fields.id : undefined;
      return this.fromPrompt(id, fields, undefined, {});
    }
    const value = row.value;
    const id = idOf(value);
    if (id instanceof Error) return { ok: false, problem: id.message };
    if ("body" in value && ("custom_id" in value || "url" in value)) return this.fromBatchLine(id, value);
    if ("messages" in value) {
      const params = readParams(value);
      if (!params.ok) return params;
      return this.fromMessages(id, value, value.messages, value.model, params.params);
    }
    const params = readParams(value);
    if (!params.ok) return params;
    return this.fromPrompt(id, value, value.model, params.params);
  }

  private fromBatchLine(id: string | undefined, line: Record<string, unknown>): RowRequest {
    if (line.method !== undefined && line.method !== "POST") {
      return { ok: false, problem: `method must be "POST", got ${JSON.stringify(line.method)}` };
    }
    if (line.url !== undefined && line.url !== "/v1/chat/completions" && line.url !== "/chat/completions") {
      return {
        ok: false,
        problem: `url ${JSON.stringify(line.url)} is not supported (only /v1/chat/completions)`,
      };
    }
    const body = line.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return { ok: false, problem: `"body" must be an object` };
    }
    const fields = body as Record<string, unknown>;
    const params = readParams(fields);
    if (!params.ok) return params;
    const extra = Object.fromEntries(Object.entries(fields).filter(([key]) => !BATCH_BODY_FIELDS.has(key)));
    if (Object.keys(extra).length > 0) params.params.extra = extra;
    return this.fromMessages(id, line, fields.messages, fields.model, params.params);
  }

  private fromMessages(
    id: string | undefined,
    row: Readonly<Record<string, unknown>>,
    raw: unknown,
    model: unknown,
    params: RequestParams,
  ): RowRequest {
    if (this.defaults.template) {
      return { ok: false, problem: "row already has messages; --template applies only to rows without them" };
    }
    const messages = readMessages(raw);
    if (!messages.ok) return messages;
    const list = messages.messages;
    if (this.defaults.system && !list.some((m) => m.role === "system" || m.role === "developer")) {
      const system = this.defaults.system.render(row);
      if (!system.ok) return notRendered("--system", system, row);
      list.unshift({ role: "system", content: system.text });
    }
    return this.finish(id, list, model, params, row);
  }

  private fromPrompt(
    id: string | undefined,
    fields: Readonly<Record<string, unknown>>,
    model: unknown,
    params: RequestParams,
  ): RowRequest {
    const { template, system: systemTemplate } = this.defaults;
    let prompt: string;
    if (template) {
      const rendered = template.render(fields);
      if (!rendered.ok) return notRendered("template", rendered, fields);
      prompt = rendered.text;
    } else if (typeof fields.prompt === "string") {
      prompt = fields.prompt;
    } else if (fields.prompt !== undefined) {
      return { ok: false, problem: `"prompt" must be text` };
    } else {
      return {
        ok: false,
        problem: `row has no "prompt" or "messages"; give --template to build a prompt from its fields`,
      };
    }
    if (prompt.trim() === "") return { ok: false, problem: "empty prompt" };

    const messages: ChatMessage[] = [];
    // A row's own system prompt wins over --system, as a chat row's system message does.
    if (typeof fields.system === "string" && fields.system !== "") {
      messages.push({ role: "system", content: fields.system });
    } else if (systemTemplate) {
      const rendered = systemTemplate.render(fields);
      if (!rendered.ok) return notRendered("--system", rendered, fields);
      messages.push({ role: "system", content: rendered.text });
    }
    messages.push({ role: "user", content: prompt });
    return this.finish(id, messages, model, params, fields);
  }

  private finish(
    id: string | undefined,
    messages: ChatMessage[],
    model: unknown,
    params: RequestParams,
    row: Readonly<Record<string, unknown>>,
  ): RowRequest {
    const given = [...messages];
    const files: ImageFile[] = [];
    const images = this.addImages(messages, row, files);
    if (images !== undefined) return images;
    const { route } = this.defaults;
    let ref: ModelRef;
    let routed: { rule: string; fallbacks: ModelRef[] } | undefined;
    if ((model === undefined || model === null) && !this.defaults.model && route) {
      const choice = route(messages, row);
      if (!choice.ok) return choice;
      ref = choice.model;
      routed = { rule: choice.rule, fallbacks: choice.fallbacks };
    } else {
      const resolved = this.model(model);
      if (!resolved.ok) return resolved;
      ref = resolved.ref;
    }
    for (const file of files) {
      const problem = imageFileProblem(file, ref.provider);
      if (problem !== undefined) return { ok: false, problem };
    }
    const imageProblem = imagePartsProblem(given, ref.provider);
    if (imageProblem !== undefined) return { ok: false, problem: imageProblem };
    for (const message of messages) {
      const text = typeof message.content === "string" ? message.content : messageText(message.content);
      if (text.includes("\0")) {
        return { ok: false, problem: `a ${message.role} message contains a NUL character (\\u0000)` };
      }
    }
    return {
      ok: true,
      id,
      request: {
        model: ref,
        messages,
        params: { ...this.defaults.params, ...params },
        ...(routed ? { route: routed.rule, fallbacks: routed.fallbacks } : {}),
      },
    };
  }

  /** `--image`'s parts, added to the last user message; a failure when one cannot be. */
  private addImages(
    messages: ChatMessage[],
    row: Readonly<Record<string, unknown>>,
    files: ImageFile[],
  ): RowRequest | undefined {
    const templates = this.defaults.images ?? [];
    if (templates.length === 0) return undefined;
    const parts: ContentPart[] = [];
    for (const template of templates) {
      const rendered = template.render(row);
      if (!rendered.ok) return notRendered("--image", rendered, row);
      const image = imagePart(rendered.text, this.defaults.cwd ?? ".");
      if (!image.ok) return image;
      parts.push(image.part);
      if (image.file) files.push(image.file);
    }
    const last = messages.findLastIndex((m) => m.role === "user");
    const message = messages[last] as ChatMessage;
    const content: ContentPart[] =
      typeof message.content === "string" ? [{ type: "text", text: message.content }] : [...message.content];
    messages[last] = { ...message, content: [...content, ...parts] };
    return undefined;
  }

  private model(value: unknown): ModelResolution {
    if (value === undefined || value === null) {
      if (this.defaults.model) return { ok: true, ref: this.defaults.model };
      return { ok: false, problem: `no model: give --model (e.g. -m mock:echo) or a "model" field` };
    }
    if (typeof value !== "string") return { ok: false, problem: `"model" must be text` };
    let resolution = this.models.get(value);
    if (!resolution) {
      resolution = unknownPrefix(value) ?? resolveModel(value, this.defaults.model);
      this.models.set(value, resolution);
    }
    return resolution;
  }
}

/**
 * A row's `provider:model` whose provider metasync does not know is refused, even where a bare
 * name would take the provider of `--model`: `nosuch:x` is a typo far more often than a model
 * named so. A model whose own name has a colon is written with its provider (`openai:llama3:8b`);
 * OpenAI's fine-tunes (`ft:gpt-4o-mini:org::id`) are the exception.
 */
function unknownPrefix(value: string): ModelResolution | undefined {
  const colon = value.indexOf(":");
  if (colon <= 0) return undefined;
  const prefix = value.slice(0, colon).trim();
  if (PROVIDER_NAMES.includes(prefix) || prefix === "ft") return undefined;
  return {
    ok: false,
    problem:
      `unknown provider "${prefix}" in model "${value}" (known: ${PROVIDER_NAMES.join(", ")}); ` +
      "a model whose name has a colon is written with its provider, e.g. openai:llama3:8b",
  };
}

/** A template the row could not fill: a field it lacks, or a value that cannot be written out. */
function notRendered(
  template: string,
  failure: Exclude<TemplateResult, { ok: true }>,
  row: Readonly<Record<string, unknown>>,
): RowRequest {
  if ("missing" in failure) return missingField(template, failure.missing, row);
  return { ok: false, problem: `${template} field "${failure.field}" ${failure.problem}` };
}

function missingField(template: string, field: string, row: Readonly<Record<string, unknown>>): RowRequest {
  return {
    ok: false,
    problem: `${template} field "${field}" is missing from this row`,
    missing: { field, template, row },
  };
}

/** The row's id: `custom_id`, else `id`, else `request_id` (DESIGN §3). */
function idOf(value: Record<string, unknown>): string | undefined | Error {
  for (const field of ["custom_id", "id", "request_id"]) {
    const id = value[field];
    if (id === undefined || id === null) continue;
    if (typeof id === "string" && id !== "") return id;
    if (typeof id === "number" && Number.isFinite(id)) return String(id);
    return new Error(`"${field}" must be a non-empty string or a number, got ${JSON.stringify(id)}`);
  }
  return undefined;
}
