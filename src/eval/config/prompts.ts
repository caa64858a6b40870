import { readFileSync, statSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import type { ConfigFile, ConfigNode } from "../../config/yaml-config.js";
import type { ChatMessage } from "../../core/types.js";
import { chatMessages, templateProblem } from "../render.js";
import { globFiles, hasMagic } from "./glob.js";
import type { ConfigProblems } from "./problems.js";
import type { EvalPrompt } from "./types.js";
import { parseYamlSource, plainValue } from "./yaml-source.js";

/** Where prompt files are: the config's directory, absolute and as the user wrote it (for labels). */
export interface PromptContext {
  baseDir: string;
  /** The config's directory as given (`.` or `examples/x`): promptfoo's labels name files from it. */
  displayDir: string;
  env: Readonly<Record<string, string | undefined>>;
  problems: ConfigProblems;
}

/** One entry of `prompts` before it is read. */
interface PromptEntry {
  raw: string | unknown[];
  label?: string;
  id?: string;
  node: ConfigNode;
  where: string;
}

/** promptfoo's `VALID_FILE_EXTENSIONS`: a string naming one of these is read as a file. */
const FILE_EXTENSIONS = [
  ".cjs",
  ".cts",
  ".js",
  ".json",
  ".jsonl",
  ".mjs",
  ".mts",
  ".py",
  ".ts",
  ".txt",
  ".yml",
  ".yaml",
];
/** Prompt functions (`file://build.py:make_prompt`) and scripts promptfoo runs to make a prompt. */
const FUNCTION_FILES = /\.((c|m)?[jt]s|py|sh|bash|exe|bat|cmd|ps1|rb|pl|go)(:[\w.]+)?$/;
const INTEGRATIONS = ["exec:", "langfuse://", "portkey://", "helicone://"];

/** When `prompts` is missing, promptfoo sends the `prompt` var. */
export const DEFAULT_PROMPT: EvalPrompt = { id: "{{prompt}}", label: "{{prompt}}", raw: "{{prompt}}" };

/**
 * The `prompts` of a config, as promptfoo reads them (src/prompts/index.ts and processors): strings
 * (a string that looks like a path is a file, as promptfoo decides it), `{id, label, raw}`, `file://`
 * text (`---` separates prompts), Markdown, Jinja, JSON and YAML chats, `.jsonl` (one prompt a line),
 * globs, and (metasync's addition) a chat written inline as a YAML list of messages.
 */
export function readPrompts(node: ConfigNode, file: ConfigFile, context: PromptContext): EvalPrompt[] {
  const entries = promptEntries(node, file);
  if (entries.length === 0 && node.kind === "list") file.problem(node, "prompts is empty");
  return entries.flatMap((entry) => readEntry(entry, file, context));
}

function promptEntries(node: ConfigNode, file: ConfigFile): PromptEntry[] {
  const text = node.string();
  if (text !== undefined) return [{ raw: text, node, where: "prompts" }];
  if (node.kind === "map") {
    // promptfoo's legacy form: `prompts: {path/to/prompt.txt: label}`.
    return node.entries.flatMap((entry) => {
      const label = entry.value.string();
      if (label === undefined) {
        file.problem(entry.value, `prompts.${entry.key} must be a label`);
        return [];
      }
      return [{ raw: entry.key, label, node: entry.value, where: `prompts.${entry.key}` }];
    });
  }
  if (node.kind !== "list") {
    file.problem(node, "prompts must be a list of prompts");
    return [];
  }
  return node.items.flatMap((item, index) => {
    const where = `prompts[${index}]`;
    const raw = item.string();
    if (raw !== undefined) return [{ raw, node: item, where }];
    if (item.kind === "list") return [{ raw: plainValue(item) as unknown[], node: item, where }];
    if (item.kind !== "map") {
      file.problem(item, `${where} must be a prompt, a file:// path or {id, label, raw}`);
      return [];
    }
    return objectEntry(item, file, where);
  });
}

function objectEntry(node: ConfigNode, file: ConfigFile, where: string): PromptEntry[] {
  const entry: Partial<PromptEntry> = { node, where };
  const before = file.problems.length;
  for (const { key, value } of node.entries) {
    if (key === "raw" && value.kind === "list") entry.raw = plainValue(value) as unknown[];
    else if (key === "raw" || key === "id" || key === "label") {
      const text = value.string();
      if (text === undefined) file.problem(value, `${where}.${key} must be text`);
      else entry[key] = text;
    } else if (key === "config") file.problem(value, `${where}.config is not supported`);
    else file.problem(value, `${where}: unknown key "${key}"`);
  }
  if (file.problems.length > before) return [];
  // promptfoo: `raw: raw || id`, so an object with only an id names its file (or is its text).
  const raw = entry.raw ?? entry.id;
  if (raw === undefined || raw === "") {
    file.problem(node, `${where} needs raw (the prompt) or id (a file://path)`);
    return [];
  }
  return [{ ...entry, raw } as PromptEntry];
}

function readEntry(entry: PromptEntry, file: ConfigFile, context: PromptContext): EvalPrompt[] {
  const { raw, where } = entry;
  if (typeof raw !== "string") {
    // An inline YAML chat (not a promptfoo form): labelled by its JSON, as if written as a string.
    return checkedPrompt(entry, { id: entry.id, label: entry.label ?? JSON.stringify(raw), raw }, file);
  }
  const integration = INTEGRATIONS.find((prefix) => raw.startsWith(prefix));
  if (integration) {
    file.problem(entry.node, `${where}: prompts from ${integration} are not supported`);
    return [];
  }
  if (!looksLikeFilePath(raw))
    return checkedPrompt(entry, { id: entry.id, label: entry.label ?? raw, raw }, file);
  const path = raw.startsWith("file://") ? raw.slice("file://".length) : raw;
  const absolute = resolve(context.baseDir, path);
  if (hasMagic(path) || isDirectory(absolute)) {
    const pattern = isDirectory(absolute) ? join(absolute, "*") : absolute;
    const files = globFiles(pattern);
    if (files.length > 0) {
      // promptfoo reads each match on its own: the entry's label and id do not carry over.
      return files.flatMap((match) => readFile(match, { raw, node: entry.node, where }, file, context));
    }
    if (raw.startsWith("file://")) {
      file.problem(entry.node, `${where}: no file matches ${raw}`);
      return [];
    }
    // No file: promptfoo sends the text itself (a prompt with "?" and "/", say).
    return checkedPrompt(entry, { id: entry.id, label: entry.label ?? raw, raw }, file);
  }
  return readFile(absolute, entry, file, context);
}

function readFile(
  absolute: string,
  entry: PromptEntry,
  file: ConfigFile,
  context: PromptContext,
): EvalPrompt[] {
  const { where, label } = entry;
  const extension = extname(absolute).toLowerCase();
  const labelPath = join(context.displayDir, relative(context.baseDir, absolute));
  if (FUNCTION_FILES.test(absolute)) {
    file.problem(entry.node, `${where}: prompt functions and scripts (${labelPath}) are not supported`);
    return [];
  }
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch {
    const plain = typeof entry.raw === "string" && !entry.raw.startsWith("file://");
    file.problem(
      entry.node,
      plain
        ? `${where}: ${JSON.stringify(entry.raw)} reads as a file path (as promptfoo reads a prompt with "/", "*" or a short extension) and there is no such file; reword it or name a file`
        : `${where}: no such prompt file ${labelPath}`,
    );
    return [];
  }
  const reader = READERS[extension];
  if (!reader) {
    file.problem(
      entry.node,
      `${where}: prompt files of type ${extension || "(none)"} are not supported (${labelPath})`,
    );
    return [];
  }
  const displayFile = context.problems.file(labelPath);
  return reader(text, { label, labelPath, env: context.env, displayFile }).flatMap((prompt) =>
    checkedPrompt(entry, prompt, file),
  );
}

interface ReadArgs {
  label: string | undefined;
  labelPath: string;
  env: Readonly<Record<string, string | undefined>>;
  displayFile: ConfigFile;
}

type Draft = { id?: string | undefined; label: string; raw: string | unknown[] };

const READERS: Record<string, (text: string, args: ReadArgs) => Draft[]> = {
  ".txt": (text, { label, labelPath, env }) => {
    const separator = env.PROMPTFOO_PROMPT_SEPARATOR || "---";
    const prompts: Draft[] = [];
    let buffer: string[] = [];
    const flush = () => {
      const raw = buffer.join("\n").trim();
      if (raw.length > 0)
        prompts.push({ raw, label: label ? `${label}: ${labelPath}: ${raw}` : `${labelPath}: ${raw}` });
      buffer = [];
    };
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === separator) flush();
      else buffer.push(line);
    }
    flush();
    return prompts;
  },
  ".md": (text, { label, labelPath }) => [
    { raw: text, label: label || `${labelPath}: ${text.slice(0, 50)}...` },
  ],
  ".j2": (text, { label, labelPath }) => [
    { raw: text, label: label || `${labelPath}: ${text.slice(0, 50)}...` },
  ],
  ".json": (text, { label, labelPath }) => {
    let raw = text;
    try {
      raw = JSON.stringify(JSON.parse(text));
    } catch {
      // A JSON template (Nunjucks loops) is rendered as text, then read as a chat.
    }
    return [{ raw, label: label || `${labelPath}: ${raw}` }];
  },
  ".jsonl": (text, { label, labelPath }) => {
    const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
    const many = lines.length > 1;
    return lines.map((raw) => ({
      raw,
      label: many ? (label ? `${label}: ${raw}` : `${labelPath}: ${raw}`) : label || labelPath,
    }));
  },
  ".yaml": readYamlPrompt,
  ".yml": readYamlPrompt,
};

function readYamlPrompt(text: string, { label, labelPath, displayFile }: ReadArgs): Draft[] {
  const parsed = parseYamlSource(text, displayFile.path);
  for (const problem of parsed.problems) displayFile.problem({ line: problem.line }, problem.message);
  if (!parsed.root) return [];
  const json = JSON.stringify(plainValue(parsed.root));
  return [{ raw: json, label: label || `${labelPath}: ${json.slice(0, 80)}` }];
}

/**
 * A prompt whose text is JSON must be a chat (a list of messages): promptfoo renders the strings
 * inside it and its providers send the list. Every template is checked to compile.
 */
function checkedPrompt(entry: PromptEntry, draft: Draft, file: ConfigFile): EvalPrompt[] {
  const { where } = entry;
  let raw: string | ChatMessage[];
  const parsed =
    typeof draft.raw === "string" ? parseJson(draft.raw) : { ok: true as const, value: draft.raw };
  if (parsed.ok) {
    const chat = chatMessages(parsed.value);
    if (!chat.ok) {
      file.problem(entry.node, `${where}: the prompt is JSON, so it must be a chat: ${chat.problem}`);
      return [];
    }
    raw = chat.messages;
  } else {
    raw = draft.raw as string;
  }
  const texts = typeof raw === "string" ? [raw] : raw.flatMap((message) => templatesOf(message.content));
  for (const text of texts) {
    const problem = templateProblem(text);
    if (problem) {
      file.problem(entry.node, `${where}: ${problem}`);
      return [];
    }
    if (/\b_conversation\b/.test(text)) {
      file.problem(entry.node, `${where}: the _conversation var (multi-turn evals) is not supported`);
      return [];
    }
  }
  return [{ id: draft.id ?? draft.label, label: draft.label, raw }];
}

function templatesOf(content: ChatMessage["content"]): string[] {
  if (typeof content === "string") return [content];
  return content.flatMap((part) =>
    Object.values(part).filter((value): value is string => typeof value === "string"),
  );
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * promptfoo's `maybeFilePath` (src/prompts/utils.ts): `file://`, a known extension, a dot three
 * or four characters from the end, or a `*`, `/` or `\`, unless the text has a newline.
 */
export function looksLikeFilePath(text: string): boolean {
  if (text.includes("\n")) return false;
  const parts = text.split(":");
  const last = parts.at(-1);
  const beforeLast = parts.at(-2);
  return (
    text.startsWith("file://") ||
    FILE_EXTENSIONS.some((ext) => last?.endsWith(ext) || beforeLast?.endsWith(ext)) ||
    text.charAt(text.length - 3) === "." ||
    text.charAt(text.length - 4) === "." ||
    text.includes("*") ||
    text.includes("/") ||
    text.includes("\\")
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
