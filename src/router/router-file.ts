import { resolveModel } from "../../providers/model-ref.js";
import { type ConfigEntry, type ConfigNode, readConfigFile } from "../config/yaml-config.js";
import type { ModelRef } from "../core/types.js";

/** What a rule asks of a row; every condition given must hold. */
export interface RuleConditions {
  /** Estimated prompt tokens more than this. */
  promptTokensOver?: number;
  /** Estimated prompt tokens fewer than this. */
  promptTokensUnder?: number;
  /** A regular expression the prompt (every message's text) matches. */
  promptMatches?: RegExp;
  /** Row fields (`a.b` for nested ones) and the values any of which each must have. */
  fields?: { path: string; values: string[] }[];
  /** Whether the row has an image (or has none). */
  hasImage?: boolean;
}

export interface RouterRule {
  name: string;
  /** The line of the rule in the file. */
  line: number | undefined;
  /** Undefined: the rule takes every row that reaches it. */
  when: RuleConditions | undefined;
  model: ModelRef;
  fallbacks: ModelRef[];
}

export interface RouterConfig {
  path: string;
  rules: RouterRule[];
}

const RULE_KEYS = new Set(["name", "when", "model", "fallbacks"]);
const CONDITION_KEYS = new Set([
  "prompt_tokens_over",
  "prompt_tokens_under",
  "prompt_matches",
  "fields",
  "has_image",
]);

/**
 * Reads a router file:
 *
 * ```yaml
 * rules:
 *   - name: vision
 *     when: { has_image: true }
 *     model: openai:gpt-4o
 *     fallbacks: [anthropic:claude-sonnet-4-5]
 *   - name: cheap
 *     model: openai:gpt-4o-mini
 * ```
 *
 * Every problem is reported with its line, together (ConfigError, exit 2).
 */
export function loadRouter(path: string): RouterConfig {
  const file = readConfigFile(path, { what: "router file" });
  file.check();
  const root = file.root;
  if (root?.kind !== "map") throw file.failure(root, 'a router file is a mapping with a "rules" list');
  for (const entry of root.entries) file.knownKey(entry, { allowed: new Set(["rules"]), listed: true });
  const list = root.get("rules");
  if (list?.value.kind !== "list" || list.value.items.length === 0) {
    throw file.failure(list ?? root, '"rules" must be a list of at least one rule');
  }
  const rules: RouterRule[] = [];
  const names = new Map<string, number | undefined>();
  let catchAll: { name: string; line: number | undefined } | undefined;
  for (const [i, node] of list.value.items.entries()) {
    const where = `rule ${i + 1}`;
    if (node.kind !== "map") {
      file.problem(node, `${where} must be a mapping with "model" (and "name", "when", "fallbacks")`);
      continue;
    }
    for (const entry of node.entries) file.knownKey(entry, { allowed: RULE_KEYS, listed: true }, where);
    const nameEntry = node.get("name");
    const name = nameEntry === undefined ? `rule ${i + 1}` : nameEntry.value.string();
    if (name === undefined || name.trim() === "") {
      file.problem(nameEntry, `${where}: "name" must be text`);
      continue;
    }
    const label = nameEntry === undefined ? where : `${where} (${name})`;
    if (names.has(name))
      file.problem(nameEntry, `${label}: the name "${name}" is taken by line ${names.get(name)}`);
    names.set(name, node.line);
    const model = readModel(file, node.get("model"), label, node);
    const fallbacks = readFallbacks(file, node.get("fallbacks"), label, model);
    const whenEntry = node.get("when");
    const when = whenEntry === undefined ? undefined : readConditions(file, whenEntry, label);
    if (catchAll) {
      file.problem(
        node,
        `${label} is never used: "${catchAll.name}" (line ${catchAll.line}) has no "when" and takes every row`,
      );
    }
    if (whenEntry === undefined) catchAll ??= { name, line: node.line };
    if (!model || (whenEntry !== undefined && !when)) continue;
    rules.push({ name, line: node.line, when, model, fallbacks });
  }
  file.check();
  return { path, rules };
}

function readModel(
  file: ReturnType<typeof readConfigFile>,
  entry: ConfigEntry | undefined,
  where: string,
  node: ConfigNode,
): ModelRef | undefined {
  if (!entry) {
    file.problem(node, `${where}: "model" is missing (provider:model, e.g. openai:gpt-4o-mini)`);
    return undefined;
  }
  const text = entry.value.string();
  const resolved = text === undefined ? undefined : resolveModel(text);
  if (!resolved?.ok) {
    file.problem(
      entry,
      `${where}: model ${JSON.stringify(text ?? entry.value.scalar)}: ${resolved?.problem ?? "must be text"}`,
    );
    return undefined;
  }
  return resolved.ref;
}

function readFallbacks(
  file: ReturnType<typeof readConfigFile>,
  entry: ConfigEntry | undefined,
  where: string,
  model: ModelRef | undefined,
): ModelRef[] {
  if (!entry) return [];
  const items = entry.value.kind === "list" ? entry.value.items : [entry.value];
  const refs: ModelRef[] = [];
  for (const item of items) {
    const text = item.string();
    const resolved = text === undefined ? undefined : resolveModel(text, model);
    if (!resolved?.ok) {
      file.problem(
        item,
        `${where}: fallback ${JSON.stringify(text ?? item.scalar)}: ${resolved?.problem ?? "must be text"}`,
      );
      continue;
    }
    refs.push(resolved.ref);
  }
  return refs;
}

function readConditions(
  file: ReturnType<typeof readConfigFile>,
  entry: ConfigEntry,
  where: string,
): RuleConditions | undefined {
  const node = entry.value;
  if (node.kind !== "map" || node.entries.length === 0) {
    file.problem(
      entry,
      `${where}: "when" must be a mapping of conditions (${[...CONDITION_KEYS].join(", ")})`,
    );
    return undefined;
  }
  const before = file.problems.length;
  const when: RuleConditions = {};
  for (const condition of node.entries) {
    if (!file.knownKey(condition, { allowed: CONDITION_KEYS, listed: true }, `${where}: when`)) continue;
    const value = condition.value;
    switch (condition.key) {
      case "prompt_tokens_over":
      case "prompt_tokens_under": {
        const n = value.integer();
        if (n === undefined || n < 0) {
          file.problem(condition, `${where}: ${condition.key} must be a whole number of tokens`);
          break;
        }
        if (condition.key === "prompt_tokens_over") when.promptTokensOver = n;
        else when.promptTokensUnder = n;
        break;
      }
      case "prompt_matches": {
        const text = value.string();
        const regex = text === undefined ? undefined : regexOf(text);
        if (!(regex instanceof RegExp)) {
          file.problem(
            condition,
            `${where}: prompt_matches ${regex ?? "must be a regular expression (text)"}`,
          );
          break;
        }
        when.promptMatches = regex;
        break;
      }
      case "fields": {
        const fields = readFields(file, condition, where);
        if (fields) when.fields = fields;
        break;
      }
      case "has_image": {
        const flag = value.boolean();
        if (flag === undefined) file.problem(condition, `${where}: has_image must be true or false`);
        else when.hasImage = flag;
        break;
      }
    }
  }
  return file.problems.length === before ? when : undefined;
}

/** `fields: {tier: premium, "customer.country": [DE, FR]}`: each field one of its values. */
function readFields(
  file: ReturnType<typeof readConfigFile>,
  entry: ConfigEntry,
  where: string,
): RuleConditions["fields"] {
  if (entry.value.kind !== "map" || entry.value.entries.length === 0) {
    file.problem(entry, `${where}: fields must map field names to a value or a list of values`);
    return undefined;
  }
  const fields: NonNullable<RuleConditions["fields"]> = [];
  for (const field of entry.value.entries) {
    const items = field.value.kind === "list" ? field.value.items : [field.value];
    const values = items.map((item) => item.scalar);
    if (values.length === 0 || values.some((v) => v === undefined || v === null || typeof v === "object")) {
      file.problem(
        field,
        `${where}: fields.${field.key} must be a value (text, number, true/false) or a list of them`,
      );
      continue;
    }
    fields.push({ path: field.key, values: values.map(String) });
  }
  return fields;
}

/** `pattern` or `/pattern/flags`; a problem text when it does not compile. */
function regexOf(text: string): RegExp | string {
  const literal = /^\/(.*)\/([dgimsuvy]*)$/s.exec(text);
  try {
    return literal ? new RegExp(literal[1] ?? "", literal[2]?.replace(/[gy]/g, "")) : new RegExp(text);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}
