import nunjucks from "nunjucks";
import { parse as parseYaml } from "yaml";
import { type ChatMessage, ROLES, type Role } from "../core/types.js";

/**
 * Prompts and assertion values rendered as promptfoo renders them (`renderPrompt` in its
 * evaluatorHelpers.ts, `getNunjucksEngine` in util/templates.ts): Nunjucks with autoescape off and
 * undefined variables rendered empty, `env` as a global, and a `load` filter (JSON.parse). A config
 * that works with promptfoo renders the same text here.
 */

export interface RenderOptions {
  /** The `env` global templates see (`{{ env.API_HOST }}`); promptfoo gives `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A prompt or value that cannot be rendered: a template error, or a chat that is not one. */
export class RenderError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RenderError";
  }
}

type Vars = Readonly<Record<string, unknown>>;

/**
 * The messages a prompt sends for one test's vars. A string prompt renders to one user message,
 * unless the rendered text is a chat itself (a JSON list of messages, or YAML starting `- role:`),
 * as promptfoo's providers read it; a chat prompt renders each message's content.
 */
export function renderPrompt(
  prompt: string | readonly ChatMessage[] | { raw: string | readonly ChatMessage[] },
  vars: Vars,
  options: RenderOptions = {},
): ChatMessage[] {
  const raw = typeof prompt === "string" || Array.isArray(prompt) ? prompt : (prompt as { raw: string }).raw;
  const env = environment(options.env);
  const prepared = prepareVars(vars);
  if (typeof raw !== "string") return checkedChat(renderDeep(raw, prepared, env));
  const json = rawJson(raw);
  if (json.ok) return checkedChat(renderDeep(json.value, prepared, env));
  // Var values may be templates themselves: promptfoo renders them first, unless they name a var
  // that is not there (then they are kept as written).
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(prepared)) {
    rendered[key] =
      typeof value === "string" && hasTags(value) && !referencesUndefined(value, prepared)
        ? render(autoWrapRaw(value), prepared, env)
        : value;
  }
  return messagesFromText(render(autoWrapRaw(raw), rendered, env));
}

/** An assertion value (or any template) rendered with a test's vars. */
export function renderTemplate(text: string, vars: Vars, options: RenderOptions = {}): string {
  return hasTags(text) ? render(text, vars, environment(options.env)) : text;
}

/** Why a template does not compile, or undefined when it does. */
export function templateProblem(text: string): string | undefined {
  if (!hasTags(text)) return undefined;
  try {
    new nunjucks.Template(autoWrapRaw(text), environment(undefined).env, undefined, true);
    return undefined;
  } catch (error) {
    return templateMessage(error);
  }
}

/** Checks a value (a parsed prompt file, a rendered chat) as a list of chat messages. */
export function chatMessages(
  value: unknown,
): { ok: true; messages: ChatMessage[] } | { ok: false; problem: string } {
  if (!Array.isArray(value) || value.length === 0) {
    return { ok: false, problem: "a chat prompt is a non-empty list of messages" };
  }
  const messages: ChatMessage[] = [];
  for (const [index, item] of value.entries()) {
    const where = `message ${index + 1}`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      return { ok: false, problem: `${where} is not an object with role and content` };
    }
    const { role, content, name, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) return { ok: false, problem: `${where}: "${extra[0]}" is not supported` };
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      return { ok: false, problem: `${where} has role ${JSON.stringify(role)} (known: ${ROLES.join(", ")})` };
    }
    if (typeof content !== "string" && !isContentParts(content)) {
      return { ok: false, problem: `${where}: content must be text or a list of content parts` };
    }
    if (name !== undefined && typeof name !== "string")
      return { ok: false, problem: `${where}: name must be text` };
    const message: ChatMessage = { role: role as Role, content };
    if (name !== undefined) message.name = name;
    messages.push(message);
  }
  return { ok: true, messages };
}

// --- promptfoo's preparation of vars -------------------------------------------------------------

/** A copy with one trailing newline cut from each string, then `{{name}}` references resolved. */
function prepareVars(vars: Vars): Record<string, unknown> {
  const prepared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) {
    prepared[key] = typeof value === "string" ? value.replace(/\n$/, "") : value;
  }
  resolveVariables(prepared);
  return prepared;
}

/**
 * promptfoo's `resolveVariables`: a string var whose first `{{ name }}` names another var gets that
 * var's value put in its place, up to five passes. (String.replace semantics, `$&` included.)
 */
function resolveVariables(vars: Record<string, unknown>): void {
  const reference = /\{\{\s*(\w+)\s*\}\}/;
  let passes = 0;
  let changed: boolean;
  do {
    changed = false;
    for (const key of Object.keys(vars)) {
      const value = vars[key];
      if (typeof value !== "string") continue;
      const match = reference.exec(value);
      if (!match) continue;
      const [placeholder, name = ""] = match;
      if (vars[name] === undefined) continue;
      vars[key] = value.replace(placeholder, vars[name] as string);
      changed = true;
    }
    passes++;
  } while (changed && passes < 5);
}

/** promptfoo's `extractVariablesFromTemplate`, then: does a root name a var that is not there? */
function referencesUndefined(template: string, vars: Vars): boolean {
  const names = new Set<string>();
  const text = template.replace(/\{#[\s\S]*?#\}/g, "");
  const used = /\{\{[\s]*([^{}\s|]+)[\s]*(?:\|[^}]+)?\}\}|\{%[\s]*(?:if|for)[\s]+([^{}\s]+)[\s]*.*?%\}/g;
  for (const match of text.matchAll(used)) {
    const name = match[1] ?? match[2];
    if (name) names.add(name);
  }
  for (const match of text.matchAll(/\{%[\s]*for[\s]+(\w+)[\s]+in[\s]+(\w+)[\s]*%\}/g)) {
    names.delete(match[1] ?? "");
    names.add(match[2] ?? "");
  }
  return [...names].some((name) => {
    const root = /^([A-Za-z_]\w*)/.exec(name)?.[1];
    return root !== undefined && root !== "env" && vars[root] === undefined;
  });
}

/** A template with an unclosed `{{`, `{%` or `{#` on a line is sent as written (`{% raw %}`). */
function autoWrapRaw(text: string): string {
  const partial = /({%[^%]*$|{{[^}]*$|{#[^#]*$)/m.test(text);
  const wrapped = /{%\s*raw\s*%}/.test(text) && /{%\s*endraw\s*%}/.test(text);
  return partial && !wrapped ? `{% raw %}${text}{% endraw %}` : text;
}

// --- chats in rendered text ---------------------------------------------------------------------

/** promptfoo's `parseChatPrompt`: YAML `- role:` or a JSON list is a chat; other text is one user message. */
function messagesFromText(text: string): ChatMessage[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("- role:")) {
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (error) {
      throw new RenderError(
        `the prompt renders to a YAML chat that does not parse: ${(error as Error).message}`,
      );
    }
    return checkedChat(parsed);
  }
  // Only a list can be a chat: other JSON (a number, a string, an object) is sent as text, and
  // text that cannot be JSON is not parsed (a failed parse costs more than the render).
  if (!/^[[{]/.test(trimmed)) return [{ role: "user", content: text }];
  const json = parseJson(text);
  if (json.ok) return Array.isArray(json.value) ? checkedChat(json.value) : [{ role: "user", content: text }];
  if (looksLikeJson(trimmed)) {
    throw new RenderError(
      `the prompt renders to text that looks like a JSON chat but is not JSON: ${json.problem}`,
    );
  }
  return [{ role: "user", content: text }];
}

function checkedChat(value: unknown): ChatMessage[] {
  const result = chatMessages(value);
  if (!result.ok) throw new RenderError(`the prompt renders to a chat that is not one: ${result.problem}`);
  return result.messages;
}

/** promptfoo's `looksLikeJson`: `{…}`, or `[…]` whose first item is JSON (not `[INST]`). */
function looksLikeJson(trimmed: string): boolean {
  if (trimmed.startsWith("{") && trimmed.endsWith("}")) return true;
  if (!(trimmed.startsWith("[") && trimmed.endsWith("]"))) return false;
  return /^(["{[\d-]|true|false|null)/.test(trimmed.slice(1).trimStart());
}

const rawJsonCache = new Map<string, { ok: true; value: unknown } | { ok: false; problem: string }>();

/** Whether a prompt's raw text is JSON (then promptfoo renders the strings inside it), once per text. */
function rawJson(raw: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  let found = rawJsonCache.get(raw);
  if (!found) {
    found = parseJson(raw);
    if (rawJsonCache.size >= MAX_TEMPLATES) rawJsonCache.clear();
    rawJsonCache.set(raw, found);
  }
  // A parsed value is rendered into a new one each time; the cached one is never changed.
  return found;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

function isContentParts(value: unknown): value is ChatMessage["content"] {
  return (
    Array.isArray(value) &&
    value.every(
      (part) =>
        part !== null && typeof part === "object" && typeof (part as { type?: unknown }).type === "string",
    )
  );
}

// --- Nunjucks ------------------------------------------------------------------------------------

/** Every string in a parsed JSON prompt rendered (promptfoo's `renderVarsInObject`). */
function renderDeep(value: unknown, vars: Vars, env: Engine): unknown {
  if (typeof value === "string") return hasTags(value) ? render(value, vars, env) : value;
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, vars, env));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderDeep(item, vars, env)]));
  }
  return value;
}

/** Text without `{{`, `{%` or `{#` renders to itself: it is not compiled. */
function hasTags(text: string): boolean {
  return text.includes("{{") || text.includes("{%") || text.includes("{#");
}

const DEFAULT_ENV: Readonly<Record<string, string | undefined>> = {};
/** Compiled templates kept per environment: a prompt is compiled once, not once per row. */
const MAX_TEMPLATES = 2_000;

interface Engine {
  env: nunjucks.Environment;
  templates: Map<string, nunjucks.Template>;
}

const engines = new WeakMap<object, Engine>();

/** promptfoo's environment: autoescape off, undefined renders empty, `env` global, `load` filter. */
function environment(envVars: Readonly<Record<string, string | undefined>> | undefined): Engine {
  const key = envVars ?? DEFAULT_ENV;
  let engine = engines.get(key);
  if (!engine) {
    const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
    env.addGlobal("env", { ...key });
    env.addFilter("load", (text: string) => JSON.parse(text));
    engine = { env, templates: new Map() };
    engines.set(key, engine);
  }
  return engine;
}

function render(text: string, vars: Vars, engine: Engine): string {
  try {
    let template = engine.templates.get(text);
    if (!template) {
      template = new nunjucks.Template(text, engine.env, undefined, true);
      if (engine.templates.size >= MAX_TEMPLATES) engine.templates.clear();
      engine.templates.set(text, template);
    }
    return template.render(vars as object);
  } catch (error) {
    throw new RenderError(templateMessage(error), { cause: error });
  }
}

/** Nunjucks' `(unknown path) [Line 1, Column 6]\n  expected variable end` → `template error at line 1, column 6: expected variable end`. */
function templateMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /\[Line (\d+), Column (\d+)\]/.exec(message);
  const detail = message
    .replace(/\(unknown path\)|\[Line \d+, Column \d+\]|Template render error:|\bError: /g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return position
    ? `template error at line ${position[1]}, column ${position[2]}: ${detail}`
    : `template error: ${detail}`;
}
